using Bms.Emulators.Common;
using Bms.Firmware.Scheduling;

namespace Bms.Firmware.Tests.Scheduling;

public class CyclicSchedulerTests
{
    private sealed class LoggingTask : IPeriodicTask
    {
        private readonly VirtualClock _clock;
        private readonly List<(string, long)> _log;
        public LoggingTask(string name, VirtualClock clock, List<(string, long)> log) { Name = name; _clock = clock; _log = log; }
        public string Name { get; }
        public long RunTime_us { get; set; }
        public int Runs { get; private set; }
        public void Run(long release_ms)
        {
            Runs++;
            _log.Add((Name, release_ms));
            if (RunTime_us > 0) _clock.Advance_us(RunTime_us);
        }
    }

    private static (CyclicScheduler, LoggingTask[], CountingWatchdog, VirtualClock, List<(string, long)>) Build()
    {
        var clock = new VirtualClock(0);
        var log = new List<(string, long)>();
        var dog = new CountingWatchdog(clock);
        var s = new CyclicScheduler(clock, dog);
        var tasks = new[] { new LoggingTask("10ms", clock, log), new LoggingTask("100ms", clock, log), new LoggingTask("1s", clock, log) };
        s.AddTask(tasks[0], 10, 0);
        s.AddTask(tasks[1], 100, 0);
        s.AddTask(tasks[2], 1000, 0);
        return (s, tasks, dog, clock, log);
    }

    [Fact]
    public void Runs_each_task_once_per_period_at_its_release_times_fastest_first()
    {
        var (s, tasks, dog, clock, log) = Build();
        s.Start();
        for (int i = 0; i <= 1000; i++)
        {
            s.Poll();
            clock.Advance_us(10_000);
        }
        Assert.Equal(1001, tasks[0].Runs);
        Assert.Equal(101, tasks[1].Runs);
        Assert.Equal(11, tasks[2].Runs);
        Assert.All(log.Where(e => e.Item1 == "100ms"), e => Assert.Equal(0, e.Item2 % 100));
        Assert.Equal(("10ms", 0L), log[0]);
        Assert.Equal(("100ms", 0L), log[1]);
        Assert.Equal(("1s", 0L), log[2]);
        Assert.Equal(0, s.TaskOverruns);
        Assert.Equal(1001, s.WatchdogKicks);
        Assert.Equal(1001, dog.Kicks);
    }

    [Fact]
    public void Polling_more_often_gives_the_identical_activation_sequence()
    {
        // The device loop polls as fast as it can; the replay polls once per 10 ms step. Same releases, same order.
        var (a, _, _, clockA, logA) = Build();
        a.Start();
        for (int t = 0; t < 3000; t += 10) { clockA.AdvanceTo_ms(t); a.Poll(); }
        var (b, _, _, clockB, logB) = Build();
        b.Start();
        for (int t = 0; t < 3000; t += 1) { clockB.AdvanceTo_ms(t); b.Poll(); clockB.Advance_us(137); }
        Assert.Equal(logA, logB.Take(logA.Count));
        Assert.Equal(0, a.TaskOverruns);
        Assert.Equal(0, b.TaskOverruns);
    }

    [Fact]
    public void An_overrun_is_counted_with_the_run_time_and_withholds_that_kick()
    {
        var (s, tasks, dog, clock, _) = Build();
        s.Start();
        s.Poll(); // t = 0: all three on time
        Assert.Equal(1, dog.Kicks);
        tasks[1].RunTime_us = 120_000; // the 100 ms task now takes 120 ms: past its deadline
        clock.AdvanceTo_ms(100);
        s.Poll();
        Assert.Equal(1 + 1, s.GetOverruns(1)); // late completion, and its next release (200) already passed
        Assert.Equal(120_000, s.GetLastRunTime_us(1));
        Assert.Equal(1, dog.Kicks); // no kick for that poll
        tasks[1].RunTime_us = 0;
        clock.Advance_us(10_000);
        s.Poll(); // the 10 ms task notices the periods it lost to the long run
        long overruns = s.TaskOverruns;
        long kicks = dog.Kicks;
        for (int i = 0; i < 200; i++) { clock.Advance_us(10_000); s.Poll(); }
        Assert.Equal(overruns, s.TaskOverruns); // back on time: no more overruns
        Assert.Equal(kicks + 200, dog.Kicks); // and kicked on every poll again
    }

    [Fact]
    public void The_watchdog_is_not_kicked_in_a_poll_where_a_task_missed_its_deadline()
    {
        var clock = new VirtualClock(0);
        var dog = new CountingWatchdog(clock);
        var s = new CyclicScheduler(clock, dog);
        var slow = new LoggingTask("slow", clock, new List<(string, long)>()) { RunTime_us = 3_000 };
        s.AddTask(slow, 10, 2_000); // budget 2 ms, takes 3 ms
        s.Start();
        for (int i = 0; i < 10; i++) { s.Poll(); clock.AdvanceTo_ms((i + 1) * 10); }
        Assert.Equal(10, s.TaskOverruns);
        Assert.Equal(0, dog.Kicks);
        Assert.Equal(3_000, s.GetLastRunTime_us(0));
    }

    [Fact]
    public void A_late_loop_skips_missed_periods_instead_of_bursting_and_counts_them()
    {
        var (s, tasks, _, clock, _) = Build();
        s.Start();
        s.Poll();
        clock.AdvanceTo_ms(45); // missed releases 10, 20, 30, 40
        s.Poll();
        Assert.Equal(2, tasks[0].Runs); // one catch-up run, no burst
        Assert.Equal(50_000, s.GetNextRelease_us(0));
        Assert.Equal(4, s.GetOverruns(0)); // the late run of release 10 plus the skipped 20, 30, 40
        clock.AdvanceTo_ms(50);
        s.Poll();
        Assert.Equal(3, tasks[0].Runs);
    }

    [Fact]
    public void A_phase_offset_releases_a_task_at_its_offset_and_keeps_its_period()
    {
        var clock = new VirtualClock(0);
        var log = new List<(string, long)>();
        var dog = new CountingWatchdog(clock);
        var s = new CyclicScheduler(clock, dog);
        var tasks = new[] { new LoggingTask("10ms", clock, log), new LoggingTask("100ms", clock, log), new LoggingTask("1s", clock, log) };
        s.AddTask(tasks[0], 10, 0);
        s.AddTask(tasks[1], 100, 0);
        s.AddTask(tasks[2], 1000, 0, 50);
        clock.AdvanceTo_ms(3);
        s.Start();
        Assert.Equal(53_000, s.GetNextRelease_us(2));
        for (int t = 3; t <= 3003; t += 10) { clock.AdvanceTo_ms(t); s.Poll(); }
        Assert.Equal(new long[] { 53, 1053, 2053 }, log.Where(e => e.Item1 == "1s").Select(e => e.Item2).ToArray());
        Assert.Equal(31, log.Count(e => e.Item1 == "100ms"));
        Assert.Equal(301, tasks[0].Runs);
        // Never in the same poll as the 100 ms task: each 1 s run directly follows a 10 ms run of the same release.
        for (int i = 0; i < log.Count; i++)
        {
            if (log[i].Item1 == "1s")
            {
                Assert.Equal(("10ms", log[i].Item2), log[i - 1]);
            }
        }
        Assert.Equal(0, s.TaskOverruns);
        Assert.Equal(301, dog.Kicks);
        Assert.Equal(301, s.Ticks);
    }

    [Fact]
    public void A_long_task_at_an_offset_does_not_make_the_fast_task_late_where_sharing_the_poll_did()
    {
        // A 7 ms task every 100 ms and a 12.4 ms task every second: in one poll they end 19.4 ms after the release,
        // past the next 10 ms release; 50 ms apart each leaves the 10 ms task its deadline.
        foreach (int offset in new[] { 0, 50 })
        {
            var clock = new VirtualClock(0);
            var s = new CyclicScheduler(clock, new CountingWatchdog(clock));
            s.AddTask(new LoggingTask("10ms", clock, new List<(string, long)>()) { RunTime_us = 200 }, 10, 0);
            s.AddTask(new LoggingTask("100ms", clock, new List<(string, long)>()) { RunTime_us = 7_000 }, 100, 0);
            s.AddTask(new LoggingTask("1s", clock, new List<(string, long)>()) { RunTime_us = 12_400 }, 1000, 0, offset);
            s.Start();
            for (int t = 0; t < 10_000; t++) { clock.AdvanceTo_ms(t); s.Poll(); clock.Advance_us(500); }
            Assert.Equal(offset, s.GetNextRelease_us(2) / 1000 % 1000);
            Assert.Equal(0, s.GetOverruns(1));
            Assert.Equal(0, s.GetOverruns(2));
            if (offset == 0)
            {
                // Each second the release at 10 ms runs at 19.6 ms, ends past its deadline and lets the release at
                // 20 ms pass: two overruns.
                Assert.Equal(20, s.GetOverruns(0));
                Assert.Equal(20, s.TaskOverruns);
            }
            else
            {
                Assert.Equal(0, s.TaskOverruns);
                Assert.Equal(1000, s.GetRuns(0));
            }
        }
    }

    [Fact]
    public void A_single_task_at_an_offset_runs_like_one_started_that_much_later()
    {
        // Same random run times (with overruns) and polls: the offset only shifts the releases.
        var clockA = new VirtualClock(0);
        var clockB = new VirtualClock(0);
        var dogA = new CountingWatchdog();
        var dogB = new CountingWatchdog();
        var a = new CyclicScheduler(clockA, dogA);
        var b = new CyclicScheduler(clockB, dogB);
        var randomA = new Random(7);
        var randomB = new Random(7);
        a.AddTask(new RandomTask(clockA, randomA), 100, 30_000, 40);
        b.AddTask(new RandomTask(clockB, randomB), 100, 30_000);
        a.Start();
        clockA.Advance_us(40_000);
        clockB.Advance_us(40_000);
        b.Start();
        var gaps = new Random(8);
        for (int i = 0; i < 20_000; i++)
        {
            Assert.Equal(b.Poll(), a.Poll());
            long gap = gaps.Next(0, 25_000);
            clockA.Advance_us(gap);
            clockB.Advance_us(gap);
        }
        Assert.True(a.TaskOverruns > 0);
        Assert.Equal(b.TaskOverruns, a.TaskOverruns);
        Assert.Equal(b.GetRuns(0), a.GetRuns(0));
        Assert.Equal(b.GetNextRelease_us(0), a.GetNextRelease_us(0));
        Assert.Equal(b.GetMaxRunTime_us(0), a.GetMaxRunTime_us(0));
        Assert.Equal(b.Ticks + 0, a.Ticks);
        Assert.Equal(dogB.Kicks, dogA.Kicks);
    }

    private sealed class RandomTask : IPeriodicTask
    {
        private readonly VirtualClock _clock;
        private readonly Random _random;
        public RandomTask(VirtualClock clock, Random random) { _clock = clock; _random = random; }
        public void Run(long release_ms)
        {
            _clock.Advance_us(_random.Next(10) == 0 ? _random.Next(20_000, 250_000) : _random.Next(0, 5_000));
        }
    }

    [Fact]
    public void Poll_allocates_nothing()
    {
        var clock = new VirtualClock(0);
        var s = new CyclicScheduler(clock, new CountingWatchdog());
        var t = new NoOpTask();
        s.AddTask(t, 10, 0);
        s.AddTask(t, 100, 0);
        s.Start();
        for (int i = 0; i < 100; i++) { s.Poll(); clock.Advance_us(10_000); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) { s.Poll(); clock.Advance_us(10_000); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Misuse_is_refused()
    {
        var clock = new VirtualClock(0);
        var s = new CyclicScheduler(clock, null!);
        Assert.Throws<InvalidOperationException>(() => s.Poll());
        Assert.Throws<ArgumentOutOfRangeException>(() => s.AddTask(new NoOpTask(), 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.AddTask(new NoOpTask(), 100, 0, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.AddTask(new NoOpTask(), 100, 0, -1));
        s.Start();
        Assert.Throws<InvalidOperationException>(() => s.AddTask(new NoOpTask(), 10, 0));
    }

    private sealed class NoOpTask : IPeriodicTask
    {
        public void Run(long release_ms) { }
    }
}
