{{- range .Values.levels }}
{{ if lt . 2.0 }}low{{ else if lt . 6.0 }}mid{{ else if eq . 10.0 }}ten{{ else }}high{{ end }}
{{- end }}
