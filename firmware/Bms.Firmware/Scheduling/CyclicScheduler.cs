using System;
using Bms.Hal;

namespace Bms.Firmware.Scheduling
{
    /// <summary>
    /// Deterministic time-triggered scheduler in the spirit of foxBMS's 1/10/100 ms tasks. Tasks are released
    /// at fixed multiples of their period after their phase offset on the <see cref="IMonotonicClock"/>; <see cref="Poll"/> runs every
    /// task that is due, fastest first (registration order). The device loop and the host replay both only
    /// call <see cref="Poll"/>: the replay advances a virtual clock instead of waiting, so both behave alike.
    /// An activation overruns when it finishes later than its release plus its deadline (measured with
    /// <see cref="IMonotonicClock.Now_us"/>), or when whole periods were skipped because the loop was late.
    /// The watchdog is kicked only after a poll in which every task that ran met its deadline and no task was
    /// left overdue. Nothing is allocated after <see cref="Start"/>.
    /// </summary>
    public sealed class CyclicScheduler
    {
        /// <summary>Most tasks one scheduler holds (fixed arrays, no growth at run time).</summary>
        public const int MaxTasks = 8;

        private readonly IMonotonicClock _clock;
        private readonly IWatchdog _watchdog;

        // One object per task: a field of a local object is one load, an element of a field's array three.
        private sealed class TaskSlot
        {
            public IPeriodicTask Task;
            public long Period_us;
            public long Deadline_us;
            // min(deadline, period - 1): a run that ends within this of its release neither overran its deadline
            // nor let its next release pass, so one comparison clears both checks.
            public long OnTimeBound_us;
            public long Offset_us;
            public long FirstRelease_us;
            public long NextRelease_us = long.MaxValue;
            // Runs, not counting the first task's quick polls (see QuickPolls).
            public long Runs;
            // Periods passed over without a run (a part of Overruns).
            public long Skipped;
            public long Overruns;
            public long LastRunTime_us;
            public long MaxRunTime_us;
        }

        private readonly TaskSlot[] _slots = new TaskSlot[MaxTasks];
        // _slots[0]: the fastest task, due at nearly every poll.
        private readonly TaskSlot _first;
        private int _taskCount;
        private bool _started;
        // The earliest release of the tasks after the first: while none of them is due, a poll runs the first task
        // and does not look at the others. long.MaxValue with fewer than two tasks.
        private long _laterEarliestRelease_us = long.MaxValue;
        // Whether every activation of the poll in progress met its deadline (the condition for the kick).
        private bool _allOnTime;
        // Fields, not auto-properties: each poll updates them, and a property's get/set is a call each.
        // Not counting the quick polls (see QuickPolls).
        private long _ticks;
        private long _taskOverruns;
        private long _watchdogKicks;

        /// <summary>Creates a scheduler on the given clock; the watchdog may be null (no hardware watchdog).</summary>
        public CyclicScheduler(IMonotonicClock clock, IWatchdog watchdog)
        {
            if (clock == null)
            {
                throw new ArgumentNullException("clock");
            }
            _clock = clock;
            _watchdog = watchdog;
            for (int i = 0; i < MaxTasks; i++)
            {
                _slots[i] = new TaskSlot();
            }
            _first = _slots[0];
        }

        /// <summary>Number of registered tasks.</summary>
        public int TaskCount { get { return _taskCount; } }

        /// <summary>Polls that ran at least one task.</summary>
        public long Ticks { get { return _ticks + QuickPolls(); } }

        /// <summary>Activations that missed their deadline or were skipped, summed over all tasks.</summary>
        public long TaskOverruns { get { return _taskOverruns; } }

        /// <summary>Times the watchdog was kicked.</summary>
        public long WatchdogKicks { get { return _watchdog != null ? _watchdogKicks + QuickPolls() : 0; } }

        // Polls that ran only the first task, on time: each is one tick, one run of the first task and one kick
        // (with a watchdog). Not counted as they happen: every run or skipped period of the first task moved its
        // release on by one period, so the quick polls are those periods less the skipped ones and the other runs.
        private long QuickPolls()
        {
            if (!_started || _taskCount == 0)
            {
                return 0;
            }
            TaskSlot first = _first;
            return (first.NextRelease_us - first.FirstRelease_us) / first.Period_us - first.Skipped - first.Runs;
        }

        /// <summary>
        /// Registers a task before <see cref="Start"/>, released at the start and then every period.
        /// <paramref name="deadline_us"/> is the latest completion after release (0 = one period). Returns the
        /// task's index for the per-task counters.
        /// </summary>
        public int AddTask(IPeriodicTask task, int period_ms, int deadline_us)
        {
            return AddTask(task, period_ms, deadline_us, 0);
        }

        /// <summary>
        /// Registers a task before <see cref="Start"/>, first released <paramref name="offset_ms"/> after the start
        /// (0 .. period - 1) and then every period: tasks with long runs can be kept out of each other's polls.
        /// <paramref name="deadline_us"/> is the latest completion after release (0 = one period). Returns the
        /// task's index for the per-task counters.
        /// </summary>
        public int AddTask(IPeriodicTask task, int period_ms, int deadline_us, int offset_ms)
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
            if (offset_ms < 0 || offset_ms >= period_ms)
            {
                throw new ArgumentOutOfRangeException("offset_ms");
            }
            int index = _taskCount++;
            TaskSlot slot = _slots[index];
            slot.Task = task;
            slot.Period_us = period_ms * 1000L;
            slot.Deadline_us = deadline_us == 0 ? period_ms * 1000L : deadline_us;
            slot.OnTimeBound_us = slot.Deadline_us < slot.Period_us - 1 ? slot.Deadline_us : slot.Period_us - 1;
            slot.Offset_us = offset_ms * 1000L;
            return index;
        }

        /// <summary>Releases every task: first activation at the current time plus its offset, then every period.</summary>
        public void Start()
        {
            long now = _clock.Now_us;
            long later = long.MaxValue;
            for (int i = 0; i < _taskCount; i++)
            {
                TaskSlot slot = _slots[i];
                slot.NextRelease_us = now + slot.Offset_us;
                slot.FirstRelease_us = slot.NextRelease_us;
                if (i > 0 && slot.NextRelease_us < later)
                {
                    later = slot.NextRelease_us;
                }
            }
            _laterEarliestRelease_us = later;
            _started = true;
        }

        /// <summary>
        /// Runs every task whose release time has come, in registration order, each at most once per poll.
        /// Returns the number of activations run. Call at least once per fastest period.
        /// </summary>
        public int Poll()
        {
            // The clock is read once before the first task and once after each task: the end of one task is the
            // start of the next (nothing but this bookkeeping runs in between).
            long now = _clock.Now_us;
            TaskSlot first = _first;
            long release = first.NextRelease_us;
            // Before Start (or without tasks) the first release is long.MaxValue: the general poll refuses it.
            if (now < release || now >= _laterEarliestRelease_us)
            {
                return PollGeneral(now);
            }
            // Only the first task is due: run it, and if it ended on time with no later task due by then, this
            // poll is one quick poll (a tick, a run, a kick).
            first.Task.Run(release / 1000);
            long end = _clock.Now_us;
            long runTime = end - now;
            first.LastRunTime_us = runTime;
            if (runTime > first.MaxRunTime_us)
            {
                first.MaxRunTime_us = runTime;
            }
            if (end - release > first.OnTimeBound_us || end >= _laterEarliestRelease_us)
            {
                return FinishFirstThenLater(first, release, end);
            }
            first.NextRelease_us = release + first.Period_us;
            IWatchdog watchdog = _watchdog;
            if (watchdog != null)
            {
                watchdog.Kick();
            }
            return 1;
        }

        // A poll where the first task is not due, or a later one is: every due task in order.
        private int PollGeneral(long now)
        {
            if (!_started)
            {
                throw new InvalidOperationException("Start must be called before Poll");
            }
            TaskSlot first = _first;
            if (now < first.NextRelease_us && now < _laterEarliestRelease_us)
            {
                return 0;
            }
            _allOnTime = true;
            int ran = 0;
            if (now >= first.NextRelease_us)
            {
                now = RunSlot(first, now);
                ran = 1;
            }
            return RunLater(now, ran);
        }

        // The first task ran in Poll and either missed its deadline or bound, or a later task is due by its end.
        private int FinishFirstThenLater(TaskSlot first, long release, long end)
        {
            _allOnTime = true;
            Account(first, release, end);
            return RunLater(end, 1);
        }

        // The tasks after the first (when one is due), then the tick and the kick.
        private int RunLater(long now, int ran)
        {
            long later = _laterEarliestRelease_us;
            if (now >= later)
            {
                // Some later task is due: visit them all, in order, and find the earliest of their releases anew.
                later = long.MaxValue;
                TaskSlot[] slots = _slots;
                int taskCount = _taskCount;
                for (int i = 1; i < taskCount; i++)
                {
                    TaskSlot slot = slots[i];
                    if (now >= slot.NextRelease_us)
                    {
                        now = RunSlot(slot, now);
                        ran++;
                    }
                    if (slot.NextRelease_us < later)
                    {
                        later = slot.NextRelease_us;
                    }
                }
                _laterEarliestRelease_us = later;
            }
            if (ran > 0)
            {
                _ticks++;
                if (_allOnTime && _watchdog != null)
                {
                    _watchdog.Kick();
                    _watchdogKicks++;
                }
            }
            return ran;
        }

        // One activation of a due task started at start_us; returns the clock after it (the next task's start).
        private long RunSlot(TaskSlot slot, long start_us)
        {
            long release = slot.NextRelease_us;
            slot.Task.Run(release / 1000);
            long end = _clock.Now_us;
            long runTime = end - start_us;
            slot.LastRunTime_us = runTime;
            if (runTime > slot.MaxRunTime_us)
            {
                slot.MaxRunTime_us = runTime;
            }
            Account(slot, release, end);
            return end;
        }

        // The run count, deadline and skipped periods of an activation released at release that ended at end.
        private void Account(TaskSlot slot, long release, long end)
        {
            slot.Runs++;
            long period = slot.Period_us;
            long next = release + period;
            if (end - release > slot.OnTimeBound_us)
            {
                if (end - release > slot.Deadline_us)
                {
                    slot.Overruns++;
                    _taskOverruns++;
                    _allOnTime = false;
                }
                if (next <= end)
                {
                    // Whole periods passed while we were late: skip them (no burst of catch-up runs) and count each.
                    long skipped = (end - next) / period + 1;
                    next += skipped * period;
                    slot.Overruns += skipped;
                    slot.Skipped += skipped;
                    _taskOverruns += skipped;
                    _allOnTime = false;
                }
            }
            slot.NextRelease_us = next;
        }

        /// <summary>Activations of task <paramref name="index"/>.</summary>
        public long GetRuns(int index) { return index == 0 ? _slots[0].Runs + QuickPolls() : _slots[index].Runs; }

        /// <summary>Overruns (late or skipped activations) of task <paramref name="index"/>.</summary>
        public long GetOverruns(int index) { return _slots[index].Overruns; }

        /// <summary>Run time of the last activation of task <paramref name="index"/>, in µs.</summary>
        public long GetLastRunTime_us(int index) { return _slots[index].LastRunTime_us; }

        /// <summary>Longest run time of task <paramref name="index"/> so far, in µs.</summary>
        public long GetMaxRunTime_us(int index) { return _slots[index].MaxRunTime_us; }

        /// <summary>Next release time of task <paramref name="index"/>, in µs of the clock.</summary>
        public long GetNextRelease_us(int index) { return _slots[index].NextRelease_us; }
    }
}
