{{- $name := .Values.name -}}
{{- $count := 0 -}}
{{- range .Values.items }}{{ $count = add $count 1 }}{{ $name }}/{{ . }}/{{ $.Values.suffix }};{{ end }}
count={{ $count }}
