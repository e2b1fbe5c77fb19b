{{- range $i, $e := .Values.envs }}
{{ $i }}:{{ $e.name }}
{{- range $e.hosts }} {{ . }}@{{ $e.name }}{{ else }} none{{ end }}
{{- end }}
