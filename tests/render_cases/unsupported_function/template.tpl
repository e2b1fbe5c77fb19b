a: 1
b: 2
c: {{ .Values.x | sha256sum }}
