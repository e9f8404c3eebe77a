{{/* Names, labels and the settings several templates share. */}}

{{- define "kiln.name" -}}
{{- default "kiln" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kiln.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "kiln" .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The apps, in a fixed order, with their ports and port variables. */}}
{{- define "kiln.appNames" -}}
gateway webhook-receiver scheduler pod-executor log-archiver artifact-service
{{- end -}}

{{- define "kiln.appPort" -}}
{{- get (dict "gateway" "8080" "webhook-receiver" "8081" "scheduler" "8082" "pod-executor" "8083" "log-archiver" "8084" "artifact-service" "8085") . -}}
{{- end -}}

{{- define "kiln.appPortVar" -}}
{{- get (dict "gateway" "KILN_GATEWAY_PORT" "webhook-receiver" "KILN_WEBHOOK_PORT" "scheduler" "KILN_SCHEDULER_PORT" "pod-executor" "KILN_EXECUTOR_PORT" "log-archiver" "KILN_ARCHIVER_PORT" "artifact-service" "KILN_ARTIFACT_PORT") . -}}
{{- end -}}

{{/* Labels: call with (dict "root" $ "component" "gateway"). */}}
{{- define "kiln.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: kiln
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "kiln.selectorLabels" . }}
{{- end -}}

{{- define "kiln.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kiln.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* An image reference: call with (dict "root" $ "name" "kiln-gateway"). */}}
{{- /* No image is published: an unset registry fails the render instead of ImagePullBackOff. */ -}}
{{- define "kiln.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- $registry := required "image.registry is required: build and push the kiln-<app> and kiln-helper images first (docs/operations.md, Images) and set image.registry to where they are" .root.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) .name $tag -}}
{{- end -}}

{{- define "kiln.helperImage" -}}
{{- default (include "kiln.image" (dict "root" . "name" "kiln-helper")) .Values.runs.helperImage -}}
{{- end -}}

{{/* The runs namespace: runs.namespace, else <fullname>-runs, so two releases never share one. */}}
{{- define "kiln.runsNamespace" -}}
{{- default (printf "%s-runs" (include "kiln.fullname" .) | trunc 63 | trimSuffix "-") .Values.runs.namespace -}}
{{- end -}}

{{/* The Secret of the apps' NATS passwords (bundled NATS, or nats.auth for a server you run). */}}
{{- define "kiln.natsAuth" -}}
{{- if or .Values.bundled.nats.enabled .Values.nats.auth.enabled }}true{{ end -}}
{{- end -}}

{{- define "kiln.natsSecretName" -}}
{{- if and .Values.nats.auth.existingSecret (not .Values.bundled.nats.enabled) -}}
{{- .Values.nats.auth.existingSecret -}}
{{- else -}}
{{- printf "%s-nats" (include "kiln.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "kiln.executorServiceAccount" -}}
{{- default (printf "%s-pod-executor" (include "kiln.fullname" .)) .Values.executor.serviceAccount.name -}}
{{- end -}}

{{/* Connection settings: the bundled services win over the external ones when enabled. */}}
{{- define "kiln.natsUrl" -}}
{{- if .Values.bundled.nats.enabled -}}
{{- printf "nats://%s-nats:4222" (include "kiln.fullname" .) -}}
{{- else -}}
{{- .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{- define "kiln.databaseUrl" -}}
{{- if .Values.bundled.postgresql.enabled -}}
{{- $a := .Values.bundled.postgresql.auth -}}
{{- printf "postgresql://%s:%s@%s-postgresql:5432/%s" $a.username (required "bundled.postgresql.auth.password is required" $a.password) (include "kiln.fullname" .) $a.database -}}
{{- else -}}
{{- required "database.url (or database.existingSecret, or bundled.postgresql.enabled) is required" .Values.database.url -}}
{{- end -}}
{{- end -}}

{{- define "kiln.databaseSecretName" -}}
{{- if and .Values.database.existingSecret (not .Values.bundled.postgresql.enabled) -}}
{{- .Values.database.existingSecret -}}
{{- else -}}
{{- include "kiln.fullname" . -}}
{{- end -}}
{{- end -}}

{{- define "kiln.databaseSecretKey" -}}
{{- if and .Values.database.existingSecret (not .Values.bundled.postgresql.enabled) -}}
{{- .Values.database.existingSecretKey -}}
{{- else -}}
DATABASE_URL
{{- end -}}
{{- end -}}

{{- define "kiln.s3SecretName" -}}
{{- if and .Values.storage.s3.existingSecret (not .Values.bundled.minio.enabled) -}}
{{- .Values.storage.s3.existingSecret -}}
{{- else -}}
{{- include "kiln.fullname" . -}}
{{- end -}}
{{- end -}}

{{- define "kiln.s3AccessKeyKey" -}}
{{- if and .Values.storage.s3.existingSecret (not .Values.bundled.minio.enabled) -}}
{{- .Values.storage.s3.accessKeyKey -}}
{{- else -}}
KILN_S3_ACCESS_KEY
{{- end -}}
{{- end -}}

{{- define "kiln.s3SecretKeyKey" -}}
{{- if and .Values.storage.s3.existingSecret (not .Values.bundled.minio.enabled) -}}
{{- .Values.storage.s3.secretKeyKey -}}
{{- else -}}
KILN_S3_SECRET_KEY
{{- end -}}
{{- end -}}

{{- define "kiln.securitySecretName" -}}
{{- default (include "kiln.fullname" .) .Values.security.existingSecret -}}
{{- end -}}

{{/* Migrations run before install when the database already exists, after it otherwise. */}}
{{- define "kiln.migrationHook" -}}
{{- if .Values.bundled.postgresql.enabled -}}
post-install,pre-upgrade
{{- else -}}
pre-install,pre-upgrade
{{- end -}}
{{- end -}}
