ok
{{ if lt .Values.port 2 }}x{{ end }}
