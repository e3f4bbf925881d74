# Sidekiq workload: jobs that return a value, one that fails, one scheduled ahead
# (perform_in, moved by the server's scheduler), and a server process stopped and
# started again between them.
#
# Usage: ruby workload.rb <redis URL>. Exits non-zero with the first wrong thing it saw,
# as its last line.
require "sidekiq"
require "sidekiq/api"
require "tempfile"
require_relative "jobs"

URL = ARGV.fetch(0)
ENV["REDIS_URL"] = URL # what both the client and the server read
Sidekiq.configure_client { |c| c.redis = {url: URL} }

class Failed < StandardError; end

def check(cond, what)
  raise Failed, "check failed: #{what}" unless cond
end

# Worker processes: the real CLI, each with its output in a file shown at the end, in
# the workload's process group (compat/run.sh ends the group when the workload exits).
WORKERS = []

def start_worker
  log = Tempfile.new("sidekiq")
  pid = Process.spawn("sidekiq", "-r", File.join(__dir__, "jobs.rb"), "-q", "compat", "-c", "2", "-t", "5",
    out: log.path, err: [:child, :out])
  WORKERS << [pid, log]
  pid
end

def last_line(pid)
  _, log = WORKERS.find { |p, _| p == pid }
  File.readlines(log.path).map(&:strip).reject(&:empty?).last || "no output"
end

# TERM is Sidekiq's shutdown: running jobs get -t seconds, then go back to the queue.
def stop_worker(pid)
  Process.kill("TERM", pid)
  _, status = Process.wait2(pid)
  check(status.success?, "worker exited with #{status.exitstatus} after TERM: #{last_line(pid)}")
end

# wait_for waits until block is true, while the worker keeps running.
def wait_for(pid, what, timeout: 30)
  deadline = Time.now + timeout
  until yield
    done, status = Process.wait2(pid, Process::WNOHANG)
    raise Failed, "worker exited with #{status.exitstatus}: #{last_line(pid)}" if done
    raise Failed, "timed out waiting for #{what}" if Time.now > deadline
    sleep 0.2
  end
end

def result(jid)
  Sidekiq.redis { |r| r.hget("compat:results", jid) }
end

def main
  Sidekiq.redis(&:flushdb)

  # Phase 1: one job returns a value, one raises.
  ok = AddJob.perform_async(2, 3)
  bad = FailJob.perform_async
  worker = start_worker
  dead = nil
  wait_for(worker, "the jobs") do
    dead = Sidekiq::DeadSet.new.find_job(bad)
    result(ok) && dead
  end
  check(result(ok) == "5", "AddJob(2, 3) = #{result(ok).inspect}, want 5")
  check(dead["error_class"] == "ArgumentError", "the dead job's error_class is #{dead["error_class"].inspect}")

  # Restart: enqueued while no server runs, a scheduled job and a plain one must be run
  # by the next server (and its scheduler), the scheduled one not before its time.
  stop_worker(worker)
  due = Time.now.to_f + 2
  later = AddJob.perform_in(2, 10, 20)
  queued = AddJob.perform_async(4, 5)
  check(Sidekiq::ScheduledSet.new.find_job(later), "perform_in's job is not in the scheduled set")
  worker = start_worker
  wait_for(worker, "the jobs after the restart") { result(later) && result(queued) }
  check(result(queued) == "9", "AddJob(4, 5) after the restart = #{result(queued).inspect}, want 9")
  check(result(later) == "30", "scheduled AddJob(10, 20) = #{result(later).inspect}, want 30")
  ran = Sidekiq.redis { |r| r.hget("compat:ran_at", later) }.to_f
  check(ran >= due, format("scheduled job ran %.2fs early", due - ran))
  stop_worker(worker)
end

verdict, code =
  begin
    main
    ["sidekiq: 4 jobs ran (one failed on purpose, one scheduled), server restarted once", 0]
  rescue Failed => e
    [e.message, 1]
  rescue => e # the first error a client raised
    ["#{e.class}: #{e.message}", 1]
  end
WORKERS.each_with_index do |(pid, log), n|
  begin
    Process.kill("KILL", pid)
    Process.wait(pid)
  rescue Errno::ESRCH, Errno::ECHILD
  end
  warn "--- worker #{n + 1} ---", File.read(log.path)
end
puts verdict
exit code
