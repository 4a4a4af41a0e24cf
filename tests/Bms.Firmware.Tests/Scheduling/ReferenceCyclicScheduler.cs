#nullable disable
using System;
using Bms.Hal;
using Bms.Firmware.Scheduling;

namespace Bms.Firmware.Tests.Scheduling
{
    // The scheduler as it was before the per-poll savings (commit ea74e7b), kept verbatim as the reference.
    /// <summary>
    /// Deterministic time-triggered scheduler in the spirit of foxBMS's 1/10/100 ms tasks. Tasks are released
    /// at fixed multiples of their period on the <see cref="IMonotonicClock"/>; <see cref="Poll"/> runs every
    /// task that is due, fastest first (registration order). The device loop and the host replay both only
    /// call <see cref="Poll"/>: the replay advances a virtual clock instead of waiting, so both behave alike.
    /// An activation overruns when it finishes later than its release plus its deadline (measured with
    /// <see cref="IMonotonicClock.Now_us"/>), or when whole periods were skipped because the loop was late.
    /// The watchdog is kicked only after a poll in which every task that ran met its deadline and no task was
    /// left overdue. Nothing is allocated after <see cref="Start"/>.
    /// </summary>
    public sealed class ReferenceCyclicScheduler
    {
        /// <summary>Most tasks one scheduler holds (fixed arrays, no growth at run time).</summary>
        public const int MaxTasks = 8;

        private readonly IMonotonicClock _clock;
        private readonly IWatchdog _watchdog;

        private readonly IPeriodicTask[] _tasks = new IPeriodicTask[MaxTasks];
        private readonly long[] _period_us = new long[MaxTasks];
        private readonly long[] _deadline_us = new long[MaxTasks];
        private readonly long[] _nextRelease_us = new long[MaxTasks];
        private readonly long[] _runs = new long[MaxTasks];
        private readonly long[] _overruns = new long[MaxTasks];
        private readonly long[] _lastRunTime_us = new long[MaxTasks];
        private readonly long[] _maxRunTime_us = new long[MaxTasks];
        private int _taskCount;
        private bool _started;

        /// <summary>Creates a scheduler on the given clock; the watchdog may be null (no hardware watchdog).</summary>
        public ReferenceCyclicScheduler(IMonotonicClock clock, IWatchdog watchdog)
        {
            if (clock == null)
            {
                throw new ArgumentNullException("clock");
            }
            _clock = clock;
            _watchdog = watchdog;
        }

        /// <summary>Number of registered tasks.</summary>
        public int TaskCount { get { return _taskCount; } }

        /// <summary>Polls that ran at least one task.</summary>
        public long Ticks { get; private set; }

        /// <summary>Activations that missed their deadline or were skipped, summed over all tasks.</summary>
        public long TaskOverruns { get; private set; }

        /// <summary>Times the watchdog was kicked.</summary>
        public long WatchdogKicks { get; private set; }

        /// <summary>
        /// Registers a task before <see cref="Start"/>. <paramref name="deadline_us"/> is the latest completion
        /// after release (0 = one period). Returns the task's index for the per-task counters.
        /// </summary>
        public int AddTask(IPeriodicTask task, int period_ms, int deadline_us)
        {
            if (task == null)
            {
                throw new ArgumentNullException("task");
            }
            if (_started)
            {
                throw new InvalidOperationException("tasks must be added before Start");
            }
            if (_taskCount == MaxTasks)
            {
                throw new InvalidOperationException("too many tasks");
            }
            if (period_ms <= 0)
            {
                throw new ArgumentOutOfRangeException("period_ms");
            }
            if (deadline_us < 0)
            {
                throw new ArgumentOutOfRangeException("deadline_us");
            }
            int index = _taskCount++;
            _tasks[index] = task;
            _period_us[index] = period_ms * 1000L;
            _deadline_us[index] = deadline_us == 0 ? period_ms * 1000L : deadline_us;
            return index;
        }

        /// <summary>Releases every task now (first activation at the current time, then every period).</summary>
        public void Start()
        {
            long now = _clock.Now_us;
            for (int i = 0; i < _taskCount; i++)
            {
                _nextRelease_us[i] = now;
            }
            _started = true;
        }

        /// <summary>
        /// Runs every task whose release time has come, in registration order, each at most once per poll.
        /// Returns the number of activations run. Call at least once per fastest period.
        /// </summary>
        public int Poll()
        {
            if (!_started)
            {
                throw new InvalidOperationException("Start must be called before Poll");
            }
            int ran = 0;
            bool allOnTime = true;
            for (int i = 0; i < _taskCount; i++)
            {
                long release = _nextRelease_us[i];
                long start = _clock.Now_us;
                if (start < release)
                {
                    continue;
                }

                _tasks[i].Run(release / 1000);
                long end = _clock.Now_us;
                ran++;
                _runs[i]++;
                long runTime = end - start;
                _lastRunTime_us[i] = runTime;
                if (runTime > _maxRunTime_us[i])
                {
                    _maxRunTime_us[i] = runTime;
                }

                long period = _period_us[i];
                long next = release + period;
                if (end - release > _deadline_us[i])
                {
                    _overruns[i]++;
                    TaskOverruns++;
                    allOnTime = false;
                }
                if (next <= end)
                {
                    // Whole periods passed while we were late: skip them (no burst of catch-up runs) and count each.
                    long skipped = (end - next) / period + 1;
                    next += skipped * period;
                    _overruns[i] += skipped;
                    TaskOverruns += skipped;
                    allOnTime = false;
                }
                _nextRelease_us[i] = next;
            }

            if (ran > 0)
            {
                Ticks++;
                if (allOnTime && _watchdog != null)
                {
                    _watchdog.Kick();
                    WatchdogKicks++;
                }
            }
            return ran;
        }

        /// <summary>Activations of task <paramref name="index"/>.</summary>
        public long GetRuns(int index) { return _runs[index]; }

        /// <summary>Overruns (late or skipped activations) of task <paramref name="index"/>.</summary>
        public long GetOverruns(int index) { return _overruns[index]; }

        /// <summary>Run time of the last activation of task <paramref name="index"/>, in µs.</summary>
        public long GetLastRunTime_us(int index) { return _lastRunTime_us[index]; }

        /// <summary>Longest run time of task <paramref name="index"/> so far, in µs.</summary>
        public long GetMaxRunTime_us(int index) { return _maxRunTime_us[index]; }

        /// <summary>Next release time of task <paramref name="index"/>, in µs of the clock.</summary>
        public long GetNextRelease_us(int index) { return _nextRelease_us[index]; }
    }
}
