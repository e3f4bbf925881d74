# The jobs of the Sidekiq workload; the server loads this file (`sidekiq -r`). Each job
# records what it returned in a hash, as Sidekiq keeps no results of its own.
require "sidekiq"

Sidekiq.configure_server do |config|
  # Poll the schedule every second or so, not every 5 s after a 10 s start: the
  # workload's scheduled job is due in 2 s.
  config.options[:poll_interval_average] = 1
end

class AddJob
  include Sidekiq::Job
  sidekiq_options queue: "compat"

  def perform(a, b)
    Sidekiq.redis do |r|
      r.hset("compat:results", jid, a + b)
      r.hset("compat:ran_at", jid, Time.now.to_f)
    end
  end
end

class FailJob
  include Sidekiq::Job
  # No retries: the first failure sends the job to the Dead set.
  sidekiq_options queue: "compat", retry: 0

  def perform
    raise ArgumentError, "compat: this job fails on purpose"
  end
end
