#!/usr/bin/env bash
# A single-node SLURM on localhost, for testing the SLURM profile without a cluster.
#   bash scripts/slurm_local.sh install   # Debian packages: slurmctld slurmd slurm-client munge (root)
#   bash scripts/slurm_local.sh start     # write configs, start munged, slurmctld, slurmd; wait for idle
#   bash scripts/slurm_local.sh stop      # stop the daemons this script started (by PID)
# Partitions: 'cpu' (default) and 'gpu' on the same node; the node has no GPUs, so GPU rules are
# mapped to CPU with --set-resources <rule>:gpu=0 (see README, "SLURM").
set -euo pipefail
STATE="${SLURM_LOCAL_STATE:-/tmp/spinexai-slurm}"
CONF=/etc/slurm

install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q slurmctld slurmd slurm-client munge >/dev/null
}

start() {
    mkdir -p "$STATE" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge "$CONF"
    if [ ! -s /etc/munge/munge.key ]; then mungekey --create --keyfile /etc/munge/munge.key; fi
    chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    chmod 0700 /etc/munge
    chmod 0400 /etc/munge/munge.key
    if ! (munge -n | unmunge) >/dev/null 2>&1; then
        runuser -u munge -- /usr/sbin/munged --force
        touch "$STATE/munged.started"
        for _ in $(seq 20); do (munge -n | unmunge) >/dev/null 2>&1 && break; sleep 0.5; done
    fi
    local cpus mem
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
    cat > "$CONF/slurm.conf" <<CONFEOF
ClusterName=spinexai-test
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MinJobAge=300
SlurmdTimeout=300
NodeName=localnode NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=cpu Nodes=localnode Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localnode MaxTime=INFINITE State=UP
CONFEOF
    echo "CgroupPlugin=cgroup/v1" > "$CONF/cgroup.conf"
    # A throwaway node: -c drops jobs and node states a previous run left in the spool (they can keep
    # the node from coming up idle after a crash).
    /usr/sbin/slurmctld -D -c > "$STATE/slurmctld.out" 2>&1 &
    echo $! > "$STATE/slurmctld.pid.own"
    /usr/sbin/slurmd -D -N localnode > "$STATE/slurmd.out" 2>&1 &
    echo $! > "$STATE/slurmd.pid.own"
    for _ in $(seq 60); do
        if sinfo -h -o "%T" 2>/dev/null | grep -qE "idle|mixed"; then
            sinfo
            return 0
        fi
        sleep 1
    done
    echo "SLURM did not become idle; daemon output:" >&2
    tail -n 20 "$STATE/slurmctld.out" "$STATE/slurmd.out" /var/log/slurm/*.log >&2 || true
    stop
    return 1
}

stop() {
    for name in slurmd slurmctld; do
        if [ -f "$STATE/$name.pid.own" ]; then
            pid=$(cat "$STATE/$name.pid.own")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$STATE/$name.pid.own"
        fi
    done
    if [ -f "$STATE/munged.started" ] && [ -f /run/munge/munged.pid ]; then
        kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
        rm -f "$STATE/munged.started"
    fi
}

"${1:?usage: slurm_local.sh install|start|stop}"
