a
{{ if false }}
{{ .Values.x | toToml }}
{{ end }}
