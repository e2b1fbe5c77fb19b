{{ tpl .Values.url . }}
{{ tpl "{{ .Release.Name }}-{{ .Values.host | upper }}" $ }}
