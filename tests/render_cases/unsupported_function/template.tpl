a: 1
b: 2
c: {{ .Values.x | uuidv4 }}
