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
        s.Start();
        Assert.Throws<InvalidOperationException>(() => s.AddTask(new NoOpTask(), 10, 0));
    }

    private sealed class NoOpTask : IPeriodicTask
    {
        public void Run(long release_ms) { }
    }
}
