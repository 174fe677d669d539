{{/* ClickHouse and Keeper names. */}}

{{- define "posthog.clickhouse.name" -}}
{{- printf "%s-clickhouse" (include "posthog.fullname" .) -}}
{{- end -}}

{{- define "posthog.clickhouse.headless" -}}
{{- printf "%s-clickhouse-headless" (include "posthog.fullname" .) -}}
{{- end -}}

{{/* The StatefulSet of shard N. Takes (list $ N). */}}
{{- define "posthog.clickhouse.shardName" -}}
{{- printf "%s-clickhouse-shard%d" (include "posthog.fullname" (index . 0)) (int (index . 1)) -}}
{{- end -}}

{{- define "posthog.keeper.name" -}}
{{- printf "%s-keeper" (include "posthog.fullname" .) -}}
{{- end -}}

{{- define "posthog.keeper.headless" -}}
{{- printf "%s-keeper-headless" (include "posthog.fullname" .) -}}
{{- end -}}

{{/* The <shard> elements of a remote_servers cluster. Takes (list $ SHARD_COUNT). */}}
{{- define "posthog.clickhouse.remoteShards" -}}
{{- $root := index . 0 -}}
{{- $domain := printf "%s.%s.svc.%s" (include "posthog.clickhouse.headless" $root) $root.Release.Namespace $root.Values.clusterDomain -}}
{{- range $s := until (int (index . 1)) }}
<shard>
    <internal_replication>true</internal_replication>
    {{- range $r := until (int $root.Values.clickhouse.replicasPerShard) }}
    <replica>
        <host>{{ include "posthog.clickhouse.shardName" (list $root $s) }}-{{ $r }}.{{ $domain }}</host>
        <port>9000</port>
        <user>{{ $root.Values.clickhouse.auth.user }}</user>
        <password from_env="CLICKHOUSE_PASSWORD"/>
    </replica>
    {{- end }}
</shard>
{{- end }}
{{- end -}}
