{{/* Kafka names and the sizing derived from values. */}}

{{- define "posthog.kafka.name" -}}
{{- printf "%s-kafka" (include "posthog.fullname" .) -}}
{{- end -}}

{{- define "posthog.kafka.headless" -}}
{{- printf "%s-kafka-headless" (include "posthog.fullname" .) -}}
{{- end -}}

{{/* The KRaft cluster id: kafka.clusterId, else 22 base64url characters derived from the
namespace and release (the last one "A", so the 16 decoded bytes carry no stray bits). */}}
{{- define "posthog.kafka.clusterId" -}}
{{- if .Values.kafka.clusterId -}}
{{- .Values.kafka.clusterId -}}
{{- else -}}
{{- $seed := printf "%s/%s/kafka" .Release.Namespace .Release.Name | sha256sum | b64enc | replace "+" "-" | replace "/" "_" -}}
{{- printf "%sA" (trunc 21 $seed) -}}
{{- end -}}
{{- end -}}

{{/* Replication factor of PostHog's topics: 3, or fewer brokers. */}}
{{- define "posthog.kafka.replicationFactor" -}}
{{- min 3 (int64 .Values.kafka.replicaCount) -}}
{{- end -}}

{{/* Partitions one broker holds (rounded up): topics x partitions x replication / brokers. */}}
{{- define "posthog.kafka.partitionsPerBroker" -}}
{{- $k := .Values.kafka -}}
{{- $brokers := int64 $k.replicaCount -}}
{{- $total := mul (int64 $k.retention.topics) (int64 $k.numPartitions) (int64 (include "posthog.kafka.replicationFactor" .)) -}}
{{- max 1 (div (add $total (sub $brokers 1)) $brokers) -}}
{{- end -}}

{{/* log.retention.bytes (per partition): diskUsagePercent of the disk over the partitions. */}}
{{- define "posthog.kafka.retentionBytes" -}}
{{- $k := .Values.kafka -}}
{{- $disk := int64 (include "posthog.bytes" $k.persistence.size) -}}
{{- $usable := div (mul $disk (int64 $k.retention.diskUsagePercent)) 100 -}}
{{- div $usable (int64 (include "posthog.kafka.partitionsPerBroker" .)) -}}
{{- end -}}

{{/* log.segment.bytes: a quarter of the retention (retention deletes whole segments), at most 1 GiB. */}}
{{- define "posthog.kafka.segmentBytes" -}}
{{- min 1073741824 (div (int64 (include "posthog.kafka.retentionBytes" .)) 4) -}}
{{- end -}}

{{/* controller.quorum.voters: every broker is a voter. */}}
{{- define "posthog.kafka.voters" -}}
{{- $name := include "posthog.kafka.name" . -}}
{{- $domain := printf "%s.%s.svc.%s" (include "posthog.kafka.headless" .) .Release.Namespace .Values.clusterDomain -}}
{{- $voters := list -}}
{{- range $i := until (int .Values.kafka.replicaCount) -}}
{{- $voters = append $voters (printf "%d@%s-%d.%s:9093" $i $name $i $domain) -}}
{{- end -}}
{{- join "," $voters -}}
{{- end -}}

{{/* The data of the kafka ConfigMap; its pods hash it to restart on a change. */}}
{{- define "posthog.kafka.configData" -}}
{{- $rf := int64 (include "posthog.kafka.replicationFactor" .) -}}
server.properties: |
  # KRaft: every broker is also a controller; node.id and advertised.listeners are added
  # per pod by start.sh.
  process.roles=broker,controller
  controller.quorum.voters={{ include "posthog.kafka.voters" . }}
  listeners=PLAINTEXT://:9092,CONTROLLER://:9093
  inter.broker.listener.name=PLAINTEXT
  controller.listener.names=CONTROLLER
  listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
  log.dirs=/var/lib/kafka/data/logs
  auto.create.topics.enable=true
  num.partitions={{ int64 .Values.kafka.numPartitions }}
  default.replication.factor={{ $rf }}
  offsets.topic.replication.factor={{ $rf }}
  transaction.state.log.replication.factor={{ $rf }}
  transaction.state.log.min.isr={{ ternary 2 1 (ge $rf 3) }}
  min.insync.replicas={{ ternary 2 1 (ge $rf 3) }}
  message.max.bytes={{ int64 .Values.kafka.messageMaxBytes }}
  replica.fetch.max.bytes={{ int64 .Values.kafka.messageMaxBytes }}
  # Retention follows the disk ({{ .Values.kafka.persistence.size }}): {{ int64 .Values.kafka.retention.diskUsagePercent }}% of it over
  # {{ include "posthog.kafka.partitionsPerBroker" . }} partitions per broker, so a full disk cannot drop events.
  log.retention.hours={{ int64 .Values.kafka.retention.hours }}
  log.retention.bytes={{ include "posthog.kafka.retentionBytes" . }}
  log.segment.bytes={{ include "posthog.kafka.segmentBytes" . }}
  log.retention.check.interval.ms=60000
log4j.properties: |
  # Logs go to stdout only: the image's default also writes rotating files without a size cap.
  log4j.rootLogger=INFO, stdout
  log4j.appender.stdout=org.apache.log4j.ConsoleAppender
  log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
  log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
  log4j.logger.kafka=INFO
  log4j.logger.org.apache.kafka=INFO
  log4j.logger.kafka.request.logger=WARN
  log4j.logger.state.change.logger=INFO
start.sh: |
  #!/bin/sh
  # Adds this pod's identity to the shared configuration, formats the log directory on
  # first start (a no-op afterwards) and runs the broker in the foreground.
  set -eu
  ordinal="${POD_NAME##*-}"
  cp /config/server.properties /tmp/server.properties
  {
    echo "node.id=${ordinal}"
    echo "advertised.listeners=PLAINTEXT://${POD_NAME}.${HEADLESS_DOMAIN}:9092"
  } >> /tmp/server.properties
  /opt/kafka/bin/kafka-storage.sh format --ignore-formatted \
    --cluster-id "${CLUSTER_ID}" --config /tmp/server.properties
  exec /opt/kafka/bin/kafka-server-start.sh /tmp/server.properties
{{- end -}}
