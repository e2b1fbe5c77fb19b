first
{{ .Values.nope.deeper }}
