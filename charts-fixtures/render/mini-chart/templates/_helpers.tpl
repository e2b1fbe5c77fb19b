{{/* a name built from the release, like WSO2's charts do */}}
{{- define "mini.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end -}}
