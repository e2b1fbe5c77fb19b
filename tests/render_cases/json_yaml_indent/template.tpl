labels = {{ toJson .Values.labels }}
cfg = {{ toJson .Values.cfg }}
yaml:
{{ toYaml .Values.cfg | indent 2 }}
nested:{{ toYaml .Values.labels | nindent 4 }}
