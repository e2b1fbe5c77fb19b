x
y
{{ else }}
