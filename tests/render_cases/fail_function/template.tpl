x
{{ if not .Values.key }}{{ fail "key is required" }}{{ end }}
