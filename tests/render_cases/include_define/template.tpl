{{- define "app.name" -}}{{ default "app" .Values.nameOverride | trunc 5 | trimSuffix "-" }}{{- end -}}
{{- define "app.labels" }}
name: {{ include "app.name" . }}
release: {{ .Release.Name }}
{{- end }}
labels:{{ include "app.labels" . | indent 2 }}
n={{ template "app.name" . }}
