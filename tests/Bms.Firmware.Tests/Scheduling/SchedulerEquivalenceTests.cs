using Bms.Emulators.Common;
using Bms.Firmware.Scheduling;

namespace Bms.Firmware.Tests.Scheduling;

/// <summary>
/// The scheduler reads the clock once per poll plus once per run and skips the later tasks until one is due.
/// Driven side by side with the straightforward reference (clock read per task, every task visited) through
/// random periods, run times (some past their deadlines) and poll spacing, it must run the same activations
/// with the same release times, and count the same overruns and kicks.
/// </summary>
public class SchedulerEquivalenceTests
{
    private sealed class Task : IPeriodicTask
    {
        private readonly VirtualClock _clock;
        private readonly List<(int, long, long)> _log;
        private readonly int _index;
        private readonly Random _runTimes;

        public Task(int index, VirtualClock clock, List<(int, long, long)> log, int seed)
        {
            _index = index;
            _clock = clock;
            _log = log;
            _runTimes = new Random(seed * 31 + index);
        }

        public void Run(long release_ms)
        {
            _log.Add((_index, release_ms, _clock.Now_us));
            int pick = _runTimes.Next(100);
            _clock.Advance_us(pick < 90 ? _runTimes.Next(0, 2_000) : pick < 98 ? _runTimes.Next(2_000, 30_000) : _runTimes.Next(30_000, 250_000));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Runs_what_the_reference_runs(int seed)
    {
        var random = new Random(seed);
        int taskCount = random.Next(1, 5);
        var periods = new int[taskCount];
        var deadlines = new int[taskCount];
        for (int i = 0; i < taskCount; i++)
        {
            periods[i] = i == 0 ? 10 : new[] { 20, 50, 100, 250, 1000 }[random.Next(5)];
            deadlines[i] = random.Next(3) == 0 ? random.Next(1_000, 20_000) : 0;
        }
        long start_us = random.Next(0, 5_000);
        var clockA = new VirtualClock(0);
        var clockB = new VirtualClock(0);
        clockA.Advance_us(start_us);
        clockB.Advance_us(start_us);
        var logA = new List<(int, long, long)>();
        var logB = new List<(int, long, long)>();
        var dogA = new CountingWatchdog();
        var dogB = new CountingWatchdog();
        var fast = new CyclicScheduler(clockA, dogA);
        var reference = new ReferenceCyclicScheduler(clockB, dogB);
        for (int i = 0; i < taskCount; i++)
        {
            fast.AddTask(new Task(i, clockA, logA, seed), periods[i], deadlines[i]);
            reference.AddTask(new Task(i, clockB, logB, seed), periods[i], deadlines[i]);
        }
        fast.Start();
        reference.Start();
        var gaps = new Random(seed + 1000);
        for (int poll = 0; poll < 20_000; poll++)
        {
            Assert.Equal(reference.Poll(), fast.Poll());
            long gap = gaps.Next(10) == 0 ? gaps.Next(0, 40_000) : gaps.Next(0, 3) * 5_000;
            clockA.Advance_us(gap);
            clockB.Advance_us(gap);
            Assert.Equal(clockB.Now_us, clockA.Now_us);
        }
        Assert.Equal(logB, logA);
        Assert.Equal(reference.TaskOverruns, fast.TaskOverruns);
        Assert.Equal(reference.WatchdogKicks, fast.WatchdogKicks);
        Assert.Equal(reference.Ticks, fast.Ticks);
        Assert.Equal(dogB.Kicks, dogA.Kicks);
        for (int i = 0; i < taskCount; i++)
        {
            Assert.Equal(reference.GetRuns(i), fast.GetRuns(i));
            Assert.Equal(reference.GetOverruns(i), fast.GetOverruns(i));
            Assert.Equal(reference.GetMaxRunTime_us(i), fast.GetMaxRunTime_us(i));
            Assert.Equal(reference.GetNextRelease_us(i), fast.GetNextRelease_us(i));
        }
        Assert.True(fast.TaskOverruns > 0, "the drive must include overruns");
    }
}
