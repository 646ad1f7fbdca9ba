#!/usr/bin/env bash
# Smoke test of the node started by node.sh: Arkime-style legacy template
# (wordSplit analyzer, scaled_float, ip, date_range, geo_point, dynamic
# templates, _meta), _bulk, search, painless _update, _update_by_query,
# _delete_by_query, _reindex, and that data survives a restart.
#   ./smoke.sh            (uses TRAWL_OS_DIR / TRAWL_OS_PORT like node.sh)
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
U="$("$HERE/node.sh" url)"
IDX=smoke_sessions3-250101
pass=0; fail=0
check() { # name, expected substring, actual
    if [[ "$3" == *"$2"* ]]; then pass=$((pass+1)); echo "ok   $1"
    else fail=$((fail+1)); echo "FAIL $1: expected [$2] in: $3"; fi
}
j() { curl -s -H 'Content-Type: application/json' "$@"; }

"$HERE/node.sh" start >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
j -XDELETE "$U/smoke_*" >/dev/null

check version '"number" : "2.19.6"' "$(j "$U/")"
check distribution '"distribution" : "opensearch"' "$(j "$U/")"
check template '{"acknowledged":true}' "$(j -XPUT "$U/_template/smoke_sessions3_template" -d '{
 "index_patterns":["smoke_sessions3-*"], "order": 99,
 "settings":{"index":{"number_of_shards":1,"number_of_replicas":0,"refresh_interval":"1s"},
   "analysis":{"tokenizer":{"wordSplitTok":{"type":"pattern","pattern":"[^a-zA-Z0-9]+"}},
     "analyzer":{"wordSplit":{"type":"custom","tokenizer":"pattern","filter":["lowercase"]},
                 "wordSplit2":{"type":"custom","tokenizer":"wordSplitTok","filter":["lowercase"]}}}},
 "mappings":{"_meta":{"molochDbVersion":82},"dynamic":"true","date_detection":false,
   "dynamic_templates":[
     {"template_ip_end":{"match":"*Ip","mapping":{"type":"ip"}}},
     {"template_word_split":{"match":"*Tokens","mapping":{"analyzer":"wordSplit","type":"text","norms":false}}},
     {"template_string":{"match_mapping_type":"string","mapping":{"type":"keyword"}}}],
   "properties":{
     "firstPacket":{"type":"date"},"srcIp":{"type":"ip"},
     "srcGeo":{"type":"geo_point"},"pktRange":{"type":"date_range"},
     "score":{"type":"scaled_float","scaling_factor":100},"tags":{"type":"keyword"},
     "http":{"properties":{"uri":{"type":"keyword","fields":{"tokens":{"type":"text","analyzer":"wordSplit2"}}}}}}}}')"
check template_meta '"_meta":{"molochDbVersion":82}' "$(j "$U/_template/smoke_sessions3_template")"
check create_index '"acknowledged":true' "$(j -XPUT "$U/$IDX")"
check analyzer '"token":"bar"' "$(j "$U/$IDX/_analyze" -d '{"analyzer":"wordSplit","text":"GET /Foo/BAR.html"}')"
check analyzer2 '"token":"foo"' "$(j "$U/$IDX/_analyze" -d '{"analyzer":"wordSplit2","text":"/Foo/BAR.html"}')"
check index_doc '"result":"created"' "$(j -XPUT "$U/$IDX/_doc/s1?refresh=true" -d '{"firstPacket":1735689600000,"srcIp":"10.0.0.1","dstIp":"2001:db8::1","srcGeo":{"lat":48.85,"lon":2.35},"pktRange":{"gte":1735689600000,"lte":1735689700000},"score":1.2345,"tags":["a"],"http":{"uri":"/Foo/Bar.html"},"hostTokens":"Www.Example.COM","node":"n1"}')"
check dynamic_ip '"dstIp":{"type":"ip"}' "$(j "$U/$IDX/_mapping")"
check dynamic_kw '"node":{"type":"keyword"}' "$(j "$U/$IDX/_mapping")"
check search '"value":1,' "$(j "$U/smoke_sessions3-*/_search" -d '{"query":{"bool":{"filter":[{"term":{"srcIp":"10.0.0.0/8"}},{"match":{"http.uri.tokens":"bar"}},{"match":{"hostTokens":"example"}},{"geo_distance":{"distance":"10km","srcGeo":{"lat":48.85,"lon":2.35}}},{"range":{"score":{"gte":1.23}}},{"term":{"pktRange":1735689650000}}]}}}')"
check scaled_float '"value":1.23' "$(j "$U/$IDX/_search?size=0" -d '{"aggs":{"s":{"sum":{"field":"score"}}}}')"
check painless_update '"result":"updated"' "$(j -XPOST "$U/$IDX/_update/s1?refresh=true" -d '{"script":{"source":"ctx._source.tags.add(params.t)","lang":"painless","params":{"t":"b"}}}')"
check painless_result '"tags":["a","b"]' "$(j "$U/$IDX/_doc/s1")"
check bulk '"errors":false' "$(printf '%s\n' \
  "{\"index\":{\"_index\":\"$IDX\",\"_id\":\"s2\"}}" '{"srcIp":"10.0.0.2","node":"n2"}' \
  "{\"index\":{\"_index\":\"$IDX\",\"_id\":\"s3\"}}" '{"srcIp":"10.0.0.3","node":"n3"}' \
  "{\"update\":{\"_index\":\"$IDX\",\"_id\":\"s2\"}}" '{"script":{"source":"ctx._source.node = params.n","params":{"n":"n2b"}}}' |
  curl -s -XPOST "$U/_bulk?refresh=true" -H 'Content-Type: application/x-ndjson' --data-binary @-)"
check delete_by_query '"deleted":1,' "$(j -XPOST "$U/$IDX/_delete_by_query?refresh=true" -d '{"query":{"term":{"node":"n3"}}}')"
check update_by_query '"updated":2,' "$(j -XPOST "$U/$IDX/_update_by_query?refresh=true" -d '{"script":{"source":"ctx._source.seen = true","lang":"painless"}}')"
check reindex '"created":2,' "$(j -XPOST "$U/_reindex?refresh=true" -d "{\"source\":{\"index\":\"$IDX\"},\"dest\":{\"index\":\"smoke_copy\"}}")"
check default_replicas '"number_of_replicas":"0"' "$(j "$U/smoke_copy/_settings")"
check cat_health 'green' "$(curl -s "$U/_cat/health")"

"$HERE/node.sh" restart >/dev/null || fail=$((fail+1))
check after_restart_count '"count":2,' "$(j "$U/$IDX/_count")"
check after_restart_doc '"tags":["a","b"]' "$(j "$U/$IDX/_doc/s1")"
check after_restart_template '"order":99' "$(j "$U/_template/smoke_sessions3_template")"
j -XDELETE "$U/smoke_*" >/dev/null; j -XDELETE "$U/_template/smoke_sessions3_template" >/dev/null
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
