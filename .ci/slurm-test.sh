#!/bin/bash
# Runs a small batch as a Slurm job array on a one-node Slurm started here (slurmctld, slurmd,
# munged by hand: no systemd), merges it with the chained merge job, and checks the merged files
# are byte-identical to the same batch run locally. Needs root and Debian's slurmctld slurmd
# slurm-client munge. Usage: .ci/slurm-test.sh [path/to/cordon]
set -euo pipefail
BIN=$(readlink -f "${1:-target/release/cordon}")
PLAN=$(readlink -f scenarios/entrance_checkpoints.ron)
WORK=$(mktemp -d /tmp/cordon-slurm.XXXXXX)
chmod 755 "$WORK"
NPROC=$(nproc)
ARGS=(--runs 3 --until 300 --seed 5 --sweep 'checkpoints[name="main-gate"].lanes=6,12')

cleanup() {
  set +e
  if [ -n "${SLURM_CONF:-}" ]; then scontrol shutdown >/dev/null 2>&1; fi
  sleep 1
  for f in "$WORK/slurmctld.pid" "$WORK/slurmd.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  [ -f /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null
}
trap cleanup EXIT

# munge: key, runtime dir, daemon as the munge user
mkdir -p /run/munge /etc/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge /etc/munge
chmod 755 /run/munge
if [ ! -f /etc/munge/munge.key ]; then
  mungekey --create --keyfile /etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
if ! munge -n >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
fi
for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done

mkdir -p "$WORK/state" "$WORK/spool"
cat > "$WORK/slurm.conf" <<CONF
ClusterName=cordon
SlurmctldHost=localhost
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$NPROC State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MpiDefault=none
ReturnToService=2
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
CONF
export SLURM_CONF="$WORK/slurm.conf"
slurmctld
slurmd -N localhost
for i in $(seq 120); do
  state=$(sinfo -h -o %t 2>/dev/null | head -1 || true)
  [ "$state" = "idle" ] && break
  sleep 0.5
  if [ "$i" = 120 ]; then
    echo "slurm node never became idle (state: '$state')"; tail -20 "$WORK/slurmctld.log" "$WORK/slurmd.log"; exit 1
  fi
done
echo "slurm up: $(sinfo -h -o '%P %D %t %c')"

# the batch on Slurm: 3 array tasks, then the merge job
"$BIN" batch "$PLAN" "${ARGS[@]}" --shards 3 --jobs 1 --out "$WORK/cluster" --emit-sbatch > "$WORK/submit.sh"
bash "$WORK/submit.sh"
for i in $(seq 600); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  sleep 0.5
  if [ "$i" = 600 ]; then echo "jobs still queued after 300 s:"; squeue; exit 1; fi
done
if [ ! -f "$WORK/cluster/summary.json" ]; then
  echo "the merge job wrote nothing"; cat "$WORK"/cluster/logs/*.out 2>/dev/null; tail -20 "$WORK/slurmctld.log"; exit 1
fi

# the same batch locally, unsharded: identical files
"$BIN" batch "$PLAN" "${ARGS[@]}" --jobs "$NPROC" --out "$WORK/local" --quiet > /dev/null
for f in runs.csv summary.csv summary.json; do
  cmp "$WORK/local/$f" "$WORK/cluster/$f"
done
echo "slurm: 3 array tasks + merge job gave the same runs.csv, summary.csv and summary.json as the local batch"
