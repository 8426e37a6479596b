#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft: broker and controller in one JVM) on loopback,
# run from the jars deploy/kafka/pom.xml gathers from Maven Central. No Docker, no tarball.
#
#   deploy/kafka/kafka.sh fetch     gather the broker jars into $KAFKA_LIBS (once)
#   deploy/kafka/kafka.sh start     fetch, format the storage (first time), start, wait until ready
#   deploy/kafka/kafka.sh stop      controlled shutdown (SIGTERM), SIGKILL after $KAFKA_STOP_TIMEOUT s
#   deploy/kafka/kafka.sh status    "running <pid> on <bootstrap>" (exit 0) or "stopped" (exit 1)
#
# Settings (environment):
#   KAFKA_PORT             client port on 127.0.0.1 (9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (KAFKA_PORT + 1)
#   KAFKA_STATE            folder for the config, the data, the pid and broker.log
#                          (<repo>/.kafka/run-<KAFKA_PORT>); data survive stop/start
#   KAFKA_LIBS             the jars (<repo>/.kafka/libs)
#   KAFKA_HEAP_OPTS        JVM heap (-Xms256m -Xmx1g)
#   KAFKA_START_TIMEOUT    seconds to wait for "Kafka Server started" (90)
#   KAFKA_STOP_TIMEOUT     seconds to wait for a controlled shutdown (30)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
STATE="${KAFKA_STATE:-$REPO/.kafka/run-$PORT}"
LIBS="${KAFKA_LIBS:-$REPO/.kafka/libs}"
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
PIDFILE="$STATE/kafka.pid"
LOG="$STATE/broker.log"

fetch() {
    # the stamp is newer than the POM once its jars are all there
    if [[ -f "$LIBS/.fetched" && "$LIBS/.fetched" -nt "$HERE/pom.xml" ]]; then
        return
    fi
    command -v mvn >/dev/null || { echo "kafka.sh: Maven (mvn) is needed to fetch the broker jars" >&2; exit 2; }
    rm -rf "$LIBS"
    mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies -Dlibs.dir="$LIBS"
    touch "$LIBS/.fetched"
}

running_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    kill -0 "$pid" 2>/dev/null || return 1
    # a stale pid file whose number now belongs to another process is not our broker
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $STATE/server.properties" || return 1
    echo "$pid"
}

write_config() {
    mkdir -p "$STATE/data"
    cat >"$STATE/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$STATE/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
EOF
    cat >"$STATE/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
EOF
}

java_cmd() {
    # the JVM expands the classpath wildcard itself: it must reach java unexpanded
    local heap
    read -r -a heap <<<"$HEAP"
    JAVA=(java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=$STATE/log4j2.properties" -cp "$LIBS/*")
}

start() {
    if pid="$(running_pid)"; then
        echo "kafka already running (pid $pid) on 127.0.0.1:$PORT"
        return
    fi
    fetch
    write_config
    java_cmd
    if [[ ! -f "$STATE/data/meta.properties" ]]; then
        local cluster_id
        cluster_id="$("${JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
        "${JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
            -c "$STATE/server.properties" --ignore-formatted >"$STATE/format.log" 2>&1 \
            || { cat "$STATE/format.log" >&2; exit 1; }
    fi
    : >"$LOG"
    # setsid: the broker outlives the shell (and the test process) that started it
    setsid "${JAVA[@]}" kafka.Kafka "$STATE/server.properties" >>"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    local waited=0
    until grep -q "Kafka Server started" "$LOG"; do
        if ! running_pid >/dev/null; then
            echo "kafka exited while starting; the end of $LOG:" >&2
            tail -n 30 "$LOG" >&2
            exit 1
        fi
        if ((waited >= START_TIMEOUT * 5)); then
            echo "kafka not ready after ${START_TIMEOUT}s; see $LOG" >&2
            stop
            exit 1
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    echo "kafka running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
}

stop() {
    local pid waited=0
    if ! pid="$(running_pid)"; then
        echo "kafka not running on 127.0.0.1:$PORT"
        rm -f "$PIDFILE"
        return
    fi
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= STOP_TIMEOUT * 5)); then
            echo "kafka did not stop in ${STOP_TIMEOUT}s: killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    rm -f "$PIDFILE"
    echo "kafka stopped"
}

status() {
    if pid="$(running_pid)"; then
        echo "running $pid on 127.0.0.1:$PORT"
    else
        echo "stopped"
        return 1
    fi
}

case "${1:-}" in
    fetch) fetch ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *)
        echo "usage: $0 fetch|start|stop|status" >&2
        exit 2
        ;;
esac
