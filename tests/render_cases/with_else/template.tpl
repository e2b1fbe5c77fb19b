{{ with .Values.db }}{{ .url }}{{ else }}no db{{ end }}
{{ with .Values.missing }}{{ . }}{{ else }}none{{ end }}
{{ with $x := .Values.db.user }}{{ $x }}/{{ . }}{{ end }}
