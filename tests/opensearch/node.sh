#!/usr/bin/env bash
# Single-node OpenSearch 2.19.6 for trawl's integration tests (see README.md).
#
#   node.sh build|start|stop|restart|wipe|url|status
#
# Env: TRAWL_OS_DIR   state dir (pid, log, data); default ${TMPDIR:-/tmp}/trawl-opensearch
#      TRAWL_OS_PORT  HTTP port on 127.0.0.1; default 9200
#      TRAWL_OS_HEAP  JVM heap (-Xms/-Xmx); default "-Xms1g -Xmx2g"
#      TRAWL_OS_WAIT  seconds to wait for health green on start; default 180
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${TRAWL_OS_DIR:-${TMPDIR:-/tmp}/trawl-opensearch}"
PORT="${TRAWL_OS_PORT:-9200}"
HEAP="${TRAWL_OS_HEAP:--Xms1g -Xmx2g}"
WAIT="${TRAWL_OS_WAIT:-180}"
PIDFILE="$STATE/node.pid"
LOG="$STATE/node.log"
URL="http://127.0.0.1:$PORT"
STAMP="$HERE/target/.trawl-built"

log() { echo "node.sh: $*" >&2; }

is_built() {
    [[ -f "$STAMP" && -d "$HERE/target/classes" && -d "$HERE/target/lib" ]] || return 1
    # rebuild when the pom or a source is newer than the last build
    [[ -z "$(find "$HERE/pom.xml" "$HERE/src" -newer "$STAMP" -print -quit)" ]]
}

cmd_build() {
    if is_built; then return 0; fi
    command -v mvn >/dev/null || { log "mvn not found (apt-get install maven)"; exit 1; }
    log "building (mvn package; a cold ~/.m2 downloads ~90 MB)"
    # maven prints ANSI resets even in batch mode; keep stdout for the URL
    (cd "$HERE" && rm -rf target/lib && mvn -q -B -Dstyle.color=never package -DskipTests 2>&1) |
        sed 's/\x1b\[[0-9;]*m//g' >&2
    touch "$STAMP"
}

running_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid; pid="$(cat "$PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    # make sure the pid is still our java process, not a recycled one
    grep -q 'org.trawl.opensearch.TrawlNode' "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

health() {
    curl -s -m 5 "$URL/_cluster/health?wait_for_status=green&timeout=1s" 2>/dev/null || true
}

cmd_start() {
    cmd_build
    if pid="$(running_pid)"; then
        log "already running (pid $pid)"
    else
        if curl -s -m 2 -o /dev/null "$URL/"; then
            log "port $PORT is already in use by something else"; exit 1
        fi
        mkdir -p "$STATE/data"
        # shellcheck disable=SC2086
        setsid "${JAVA_HOME:+$JAVA_HOME/bin/}java" $HEAP -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow \
            -Dfile.encoding=UTF-8 -Djava.locale.providers=SPI,COMPAT \
            -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
            -Dio.netty.recycler.maxCapacityPerThread=0 \
            -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
            -Dlog4j2.configurationFile=trawl-log4j2.properties \
            -cp "$HERE/target/classes:$HERE/target/lib/*" \
            org.trawl.opensearch.TrawlNode "$STATE" "$PORT" \
            >>"$LOG" 2>&1 </dev/null &
        echo $! >"$PIDFILE"
        log "started pid $! (log $LOG)"
    fi
    local t0=$SECONDS h
    while (( SECONDS - t0 < WAIT )); do
        if ! running_pid >/dev/null; then
            log "node exited during startup; tail of $LOG:"; tail -n 60 "$LOG" >&2; exit 1
        fi
        h="$(health)"
        # ready = TrawlNode has set cluster.default_number_of_replicas=0, and
        # green; or yellow with nothing initializing (all primaries started; the
        # unassigned shards are replicas of an index created with explicit
        # replicas, which one node can never host)
        if curl -s -m 5 "$URL/_cluster/settings" | grep -q '"default_number_of_replicas":"0"'; then
            if [[ "$h" == *'"status":"green"'* ]]; then
                log "green after $((SECONDS - t0))s"
                echo "$URL"; return 0
            fi
            if [[ "$h" == *'"status":"yellow"'* && "$h" == *'"initializing_shards":0,'* ]]; then
                log "yellow after $((SECONDS - t0))s: all primaries started, some replicas unassigned: $h"
                echo "$URL"; return 0
            fi
        fi
        sleep 1
    done
    log "not ready after ${WAIT}s: $h"; tail -n 60 "$LOG" >&2; exit 1
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then rm -f "$PIDFILE"; return 0; fi
    kill -TERM "$pid"
    local i
    for ((i = 0; i < 600; i++)); do   # 60 s
        kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; log "stopped pid $pid"; return 0; }
        sleep 0.1
    done
    log "pid $pid ignored SIGTERM for 60s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
}

cmd_status() {
    if pid="$(running_pid)"; then echo "running pid $pid $URL $(health)"; else echo "stopped"; return 1; fi
}

case "${1:-}" in
    build)   cmd_build ;;
    start)   cmd_start ;;
    stop)    cmd_stop ;;
    restart) cmd_stop; cmd_start ;;
    wipe)    cmd_stop; rm -rf "$STATE/data" "$STATE/home" "$STATE/logs" "$LOG" ;;
    url)     echo "$URL" ;;
    status)  cmd_status ;;
    *) echo "usage: $0 build|start|stop|restart|wipe|url|status" >&2; exit 2 ;;
esac
