{{/* Labels shared by every object of the chart (port of _helpers.j2). */}}
{{- define "postgres.labels" -}}
app: {{ .Values.name }}
{{- end }}
