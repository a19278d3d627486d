#!/usr/bin/env bash
# A throwaway one-node Slurm cluster on this machine, for tests (issue 19).
#
#   scripts/slurm-local.sh start  DIR   munged, slurmctld, slurmd; waits until the node is idle
#   scripts/slurm-local.sh stop   DIR   stops the daemons started in DIR (safe to repeat)
#   scripts/slurm-local.sh status DIR   exit 0 when the cluster in DIR answers
#
# Everything lives under DIR (an absolute path is made of it): its own MUNGE key and
# socket, slurm.conf, state, spool, logs and pid files. Nothing in /etc/slurm or
# /etc/munge is read or written, so it neither needs nor disturbs a system cluster, and
# two clusters in two DIRs can run side by side (each picks free ports at start).
#
# A client finds the cluster through SLURM_CONF only (slurm.conf names the MUNGE socket):
#   . DIR/env && sbatch --wrap 'hostname'
# `start` writes DIR/env and prints it.
#
# Runs as root (slurmd must be root to start job steps). Needs slurmctld, slurmd,
# slurm-client and munge (Debian packages of the same names; ./test.sh installs them).
# Settings: SLURM_LOCAL_TIMEOUT (seconds `start` waits for the idle node, default 30),
# SLURM_LOCAL_CTLD_PORT / SLURM_LOCAL_SLURMD_PORT (default: free ports picked at start).
set -euo pipefail

die() { echo "slurm-local: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# A TCP port on 127.0.0.1 nobody listens on, from a range clear of the usual services
# and of Linux's ephemeral range (32768-60999).
free_port() {
  local port tries
  for ((tries = 1; tries <= 50; tries++)); do
    port=$((20000 + RANDOM % 10000))
    # The connection fails when the port is free.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found in 20000-29999 after $tries tries"
}

# True when the pid recorded in DIR/run/NAME.pid is a live process.
alive() {
  local pid
  pid=$(cat "$DIR/run/$1.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null
}

# Starts NAME as `CMD...` in the foreground of its own session, stdout and stderr in
# DIR/log/NAME.out (a daemon that dies on a bad config says why there), its pid recorded
# for `stop`. `setsid` does not fork here (a background job of a script leads no process
# group), so $! is the daemon itself.
spawn() {
  local name=$1
  shift
  setsid "$@" </dev/null >"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/run/$name.pid"
}

write_munge() {
  mkdir -p "$DIR/munge"
  # 711: clients (job steps run as their user) must reach the socket, not list the key.
  chmod 711 "$DIR/munge"
  # munged refuses a key readable by others; 1024 random bytes is what mungekey makes.
  if [ ! -s "$DIR/munge/munge.key" ]; then
    (umask 077 && dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none)
  fi
}

write_conf() {
  local host ctld_port slurmd_port
  host=$(hostname -s)
  ctld_port=${SLURM_LOCAL_CTLD_PORT:-$(free_port)}
  slurmd_port=${SLURM_LOCAL_SLURMD_PORT:-$(free_port)}
  [ "$ctld_port" != "$slurmd_port" ] || slurmd_port=$(free_port)
  cat >"$DIR/etc/slurm.conf" <<EOF
# Written by scripts/slurm-local.sh: a one-node test cluster, all of it under $DIR.
ClusterName=anomalab-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munged.sock
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
# Slurm's own pid files; slurm-local.sh stop uses the ones it records (NAME.pid).
SlurmctldPidFile=$DIR/run/slurmctld.own.pid
SlurmdPidFile=$DIR/run/slurmd.own.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
PlugStackConfig=$DIR/etc/plugstack.conf
# Debian's default (/usr/bin/mail) is not installed; jobs here never ask for mail.
MailProg=/bin/true
# No cgroups: they need systemd or a writable cgroup tree, which containers rarely have.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd, hence no sacct: finished jobs (array tasks included) are one line each here.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# Written explicitly: tests rely on indices 0-1000 being accepted.
MaxArraySize=1001
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  # An empty SPANK stack: otherwise the one beside /etc/slurm/slurm.conf would be read.
  : >"$DIR/etc/plugstack.conf"
  echo "export SLURM_CONF=$DIR/etc/slurm.conf" >"$DIR/env"
}

# Prints the end of each daemon's stderr (in the foreground a daemon copies its log there,
# and a fatal error before its log file opens goes only there), for a failed start.
show_logs() {
  local f
  for f in "$DIR"/log/*.out; do
    [ -s "$f" ] || continue
    echo "----- $f (last 30 lines)" >&2
    tail -n 30 "$f" >&2
  done
}

# The node's state as sinfo prints it (idle, down*, ...), empty when nobody answers.
node_state() {
  SLURM_CONF="$DIR/etc/slurm.conf" timeout 5 sinfo --noheader --format=%T 2>/dev/null | head -n 1 ||
    true
}

cmd_status() {
  [ -f "$DIR/etc/slurm.conf" ] || return 1
  local state
  state=$(node_state)
  [ -n "$state" ] || return 1
  echo "slurm-local: $DIR answers, node $state"
}

# Waits until munged's socket exists: slurmctld fails its first authentication otherwise.
wait_munge() {
  local _
  for _ in $(seq 50); do
    [ -S "$DIR/munge/munged.sock" ] && return 0
    alive munged || break
    sleep 0.1
  done
  show_logs
  die "munged did not create its socket $DIR/munge/munged.sock"
}

cmd_start() {
  local cmd
  for cmd in munged slurmctld slurmd sinfo; do
    command -v "$cmd" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
    command -v "$cmd" >/dev/null 2>&1 ||
      die "$cmd not found: install slurmctld slurmd slurm-client munge (./test.sh --install-only)"
  done
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd starts job steps as their user)"
  if cmd_status >/dev/null; then
    echo "slurm-local: already running in $DIR"
    cat "$DIR/env"
    return 0
  fi
  cmd_stop >/dev/null # leftovers of a failed start
  # A fresh cluster each start: no jobs, node states or logs of an earlier one in DIR.
  rm -rf "${DIR:?}"/{state,spool,log}
  mkdir -p "$DIR"/{etc,state,spool,log,run}
  chmod 755 "$DIR" "$DIR/spool"
  write_munge
  write_conf

  # --force: munged runs as root here (not as the munge user), which it otherwise refuses.
  spawn munged munged --foreground --force \
    --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munged.sock" \
    --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed" \
    --log-file="$DIR/log/munged.log"
  wait_munge
  spawn slurmctld slurmctld -D -f "$DIR/etc/slurm.conf"
  spawn slurmd slurmd -D -f "$DIR/etc/slurm.conf"
  wait_idle
  echo "slurm-local: one-node cluster up in $DIR; a client needs:"
  cat "$DIR/env"
}

wait_idle() {
  local timeout=${SLURM_LOCAL_TIMEOUT:-30} start state=""
  start=$(date +%s)
  while [ $(($(date +%s) - start)) -lt "$timeout" ]; do
    local name
    for name in munged slurmctld slurmd; do
      alive "$name" || { show_logs; cmd_stop >/dev/null; die "$name exited during start"; }
    done
    state=$(node_state)
    [ "$state" = idle ] && return 0
    sleep 0.5
  done
  show_logs
  cmd_stop >/dev/null
  die "node not idle after ${timeout}s (last sinfo state: '${state:-no answer}')"
}

# Sends TERM to the daemon NAME (then KILL after 10 s) and forgets its pid.
stop_one() {
  local name=$1 pid _
  pid=$(cat "$DIR/run/$name.pid" 2>/dev/null) || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    echo "slurm-local: stopped $name ($pid)"
  fi
  rm -f "$DIR/run/$name.pid"
}

cmd_stop() {
  # Jobs first, while slurmctld still answers: their slurmstepd would outlive slurmd.
  if [ -f "$DIR/etc/slurm.conf" ] && alive slurmctld; then
    SLURM_CONF="$DIR/etc/slurm.conf" timeout 10 scancel --partition=debug 2>/dev/null || true
  fi
  stop_one slurmd
  stop_one slurmctld
  stop_one munged
}

[ $# -eq 2 ] || { usage >&2; exit 2; }
if [ "$1" = start ]; then mkdir -p "$2"; fi
# Nothing to stop, nothing answers, in a DIR that does not exist.
if [ ! -d "$2" ]; then [ "$1" = stop ] && exit 0 || exit 1; fi
DIR=$(cd "$2" && pwd)
case "$1" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage >&2; exit 2 ;;
esac
