a  {{- "b" -}}  c
{{ "d" }}
  {{- /* comment */ -}}
  e
{{/* plain comment */}}f
