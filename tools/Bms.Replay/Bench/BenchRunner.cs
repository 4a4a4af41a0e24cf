using System.Diagnostics;
using System.Reflection;
using Bms.IlTools.Counting;

namespace Bms.Replay.Bench;

/// <summary>How long each measurement runs.</summary>
public sealed class BenchOptions
{
    /// <summary>Ticks run after start-up before anything is measured (the firmware settles, buffers fill).</summary>
    public int WarmupTicks { get; init; } = 100;

    /// <summary>Steady-state ticks over which allocations are measured (at least 10,000 for the report).</summary>
    public int AllocationTicks { get; init; } = 10_000;

    /// <summary>Ticks of the instrumented run: 600 = one minute, so the 1 s and 60 s duties are in the mean and the worst tick.</summary>
    public int IlTicks { get; init; } = 600;

    /// <summary>Virtual hours replayed for the throughput figure (24 for the report).</summary>
    public double ReplayHours { get; init; } = 24;

    /// <summary>Methods listed by IL instructions.</summary>
    public int TopMethods { get; init; } = 12;

    /// <summary>Measure the AFE driver alone instead of the whole firmware.</summary>
    public bool DriverOnly { get; init; }

    /// <summary>A board's measured interpreter speed (firmware/Bms.Calibration), to print CPU time per tick; null = not shown.</summary>
    public long? BoardIlPerSecond { get; init; }
}

/// <summary>Runs the measurements of one configuration (see <see cref="BenchResult"/>).</summary>
public static class BenchRunner
{
    public const int TicksPerHour = 36_000;

    public static string[] McuAssemblyPaths() => new[]
    {
        typeof(Bms.Hal.II2cDevice).Assembly.Location,
        typeof(Bms.Drivers.CellMonitoring.ICellMonitor).Assembly.Location,
        typeof(Bms.Firmware.Measurement.MeasurementSnapshot).Assembly.Location,
    };

    public static BenchResult Run(string key, BenchOptions options, Action<string>? progress = null)
    {
        progress?.Invoke($"{key}: steady-state allocation over {options.AllocationTicks} ticks");
        IBenchTarget target = BenchTargets.Create(key, options.DriverOnly, metered: true);
        target.Start();
        long sample = 0;
        for (int i = 0; i < options.WarmupTicks; i++) { target.SetSample(sample++); target.Tick(); }

        var statistics = target.BusStatistics;
        long busBefore = statistics.BusBytes;
        var (allocated, host) = MeasureAllocation(target, ref sample, options.AllocationTicks);
        double busPerTick = (double)(statistics.BusBytes - busBefore) / options.AllocationTicks;
        int scanBytes = statistics.LastScanBusBytes;
        // An allocation the firmware makes comes back in a second window; a one-off of the .NET runtime on the
        // bench thread (tiered JIT, lazily created statics) does not. Judge on the confirmation window then.
        double? firstWindowFirmware = null;
        if (allocated - host > 0)
        {
            firstWindowFirmware = (allocated - host) / (double)options.AllocationTicks;
            progress?.Invoke($"{key}: {firstWindowFirmware:0.##} firmware bytes per tick, confirming over another {options.AllocationTicks} ticks");
            (allocated, host) = MeasureAllocation(target, ref sample, options.AllocationTicks);
        }
        string steadyState = target.State;

        progress?.Invoke($"{key}: RAM estimate");
        RamEstimate ram = NanoRamEstimator.Estimate(target.RamRoot);

        progress?.Invoke($"{key}: instrumented run over {options.IlTicks} ticks");
        var il = CountInstructions(key, options);

        progress?.Invoke($"{key}: replay throughput over {options.ReplayHours} h of virtual time");
        var (wallSeconds, cpuSeconds, ticks) = ReplayThroughput(key, options.ReplayHours, options.DriverOnly);

        double perTickDivisor = options.AllocationTicks;
        return new BenchResult
        {
            Configuration = key,
            Composition = target.Composition,
            Cells = target.CellCount,
            Temperatures = target.TemperatureCount,
            SteadyState = steadyState,
            AllocationTicks = options.AllocationTicks,
            AllocatedBytesPerTick = allocated / perTickDivisor,
            HostAllocatedBytesPerTick = host / perTickDivisor,
            FirmwareAllocatedBytesPerTick = (allocated - host) / perTickDivisor,
            FirstWindowFirmwareBytesPerTick = firstWindowFirmware,
            FirmwareAllocationSitesPerTick = il.AllocationsPerTick,
            IlTicks = options.IlTicks,
            IlInstructionsPerTick = il.MeanPerTick,
            IlInstructionsWorstTick = il.WorstTick,
            TopMethods = il.Top,
            IlWorstTickIndex = il.WorstTickIndex,
            WorstTickMethods = il.WorstTickTop,
            Bus = target.Bus == BenchBus.I2c400kHz ? "I2C 400 kHz" : "SPI 1 MHz",
            BusBytesPerScan = scanBytes,
            MinimumBusBytesPerScan = target.MinimumBusBytesPerScan,
            BusBytesPerTick = busPerTick,
            BusTimePerScan_ms = BusTime_ms(target.Bus, scanBytes),
            MinimumBusTimePerScan_ms = BusTime_ms(target.Bus, target.MinimumBusBytesPerScan),
            RamInstanceBytes = ram.InstanceBytes,
            RamInstanceObjects = ram.InstanceObjects,
            RamStaticBytes = ram.StaticBytes,
            RamByType = ram.ByType.Take(12).Select(e => new RamShare(e.Type, e.Bytes, e.Count)).ToList(),
            ReplayedHours = ticks / (double)TicksPerHour,
            ReplayWallSeconds = wallSeconds,
            ReplayCpuSeconds = cpuSeconds,
            CellSamplesPerSecond = ticks * (double)target.CellCount / cpuSeconds,
            ReplaySecondsFor24h = cpuSeconds * (24.0 * TicksPerHour / ticks),
            ReplayWallSecondsFor24h = wallSeconds * (24.0 * TicksPerHour / ticks),
        };
    }

    /// <summary>Bytes allocated on this thread over <paramref name="ticks"/> ticks, and the host side's share of them.</summary>
    private static (long Allocated, long Host) MeasureAllocation(IBenchTarget target, ref long sample, int ticks)
    {
        long hostBefore = target.HostAllocatedBytes;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < ticks; i++) { target.SetSample(sample++); target.Tick(); }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return (allocated, target.HostAllocatedBytes - hostBefore);
    }

    /// <summary>Bus clock time of <paramref name="bytes"/>: I2C needs 9 clocks a byte (ACK), SPI 8.</summary>
    public static double BusTime_ms(BenchBus bus, int bytes) => bus switch
    {
        BenchBus.I2c400kHz => bytes * 9 / 400.0,
        _ => bytes * 8 / 1000.0,
    };

    public sealed record IlFigures(double MeanPerTick, long WorstTick, double AllocationsPerTick, IReadOnlyList<MethodCost> Top,
        int WorstTickIndex, IReadOnlyList<MethodCost> WorstTickTop);

    /// <summary>
    /// Runs the configuration with instrumented copies of Bms.Hal, Bms.Drivers and Bms.Firmware (this assembly and the
    /// emulators are loaded beside them, so the whole composition binds to the instrumented types) and counts the
    /// IL instructions those assemblies execute per 100 ms tick.
    /// </summary>
    public static IlFigures CountInstructions(string key, BenchOptions options)
    {
        using var context = new IlCountingContext(McuAssemblyPaths(), new[] { AppContext.BaseDirectory });
        Assembly isolated = context.LoadFromAssemblyName(typeof(BenchTargets).Assembly.GetName());
        Type factory = isolated.GetType(typeof(BenchTargets).FullName!, throwOnError: true)!;
        Type targetInterface = isolated.GetType(typeof(IBenchTarget).FullName!, throwOnError: true)!;
        object target = factory.GetMethod(nameof(BenchTargets.Create))!.Invoke(null, new object[] { key, options.DriverOnly, false })!;
        MethodInfo start = targetInterface.GetMethod(nameof(IBenchTarget.Start))!;
        MethodInfo setSample = targetInterface.GetMethod(nameof(IBenchTarget.SetSample))!;
        MethodInfo tick = targetInterface.GetMethod(nameof(IBenchTarget.Tick))!;

        start.Invoke(target, null);
        long sample = 0;
        for (int i = 0; i < options.WarmupTicks; i++) { setSample.Invoke(target, new object[] { sample++ }); tick.Invoke(target, null); }
        context.Reset();

        long worst = 0, previous = 0;
        int worstIndex = 0;
        IReadOnlyList<MethodCount> before = context.Snapshot();
        IReadOnlyList<MethodCost> worstTop = Array.Empty<MethodCost>();
        for (int i = 0; i < options.IlTicks; i++)
        {
            setSample.Invoke(target, new object[] { sample++ });
            tick.Invoke(target, null);
            IReadOnlyList<MethodCount> after = context.Snapshot();
            long total = after.Sum(c => c.Instructions);
            if (total - previous > worst)
            {
                // The worst tick's own breakdown (the method list is the same in both snapshots, in the same order).
                worst = total - previous;
                worstIndex = i;
                worstTop = after.Select((c, k) => new MethodCount(c.Method, c.Instructions - before[k].Instructions,
                        c.Calls - before[k].Calls, c.Allocations - before[k].Allocations))
                    .Where(c => c.Instructions > 0).OrderByDescending(c => c.Instructions).Take(options.TopMethods)
                    .Select(c => new MethodCost($"{c.Method.Assembly}: {c.Method.FullName}", c.Instructions, c.Calls, c.Allocations))
                    .ToList();
            }
            previous = total;
            before = after;
        }
        IReadOnlyList<MethodCount> counts = context.Snapshot();
        double ticks = options.IlTicks;
        var top = counts.Where(c => c.Instructions > 0).OrderByDescending(c => c.Instructions).Take(options.TopMethods)
            .Select(c => new MethodCost($"{c.Method.Assembly}: {c.Method.FullName}", c.Instructions / ticks, c.Calls / ticks, c.Allocations / ticks))
            .ToList();
        return new IlFigures(previous / ticks, worst, counts.Sum(c => c.Allocations) / ticks, top, worstIndex, worstTop);
    }

    /// <summary>
    /// Wall-clock time to replay <paramref name="hours"/> of a pack at 10 Hz (pack values set every 100 ms, the
    /// firmware polled at its 10 ms period) on the calling thread: chip emulation and firmware together.
    /// </summary>
    /// <remarks>
    /// Both wall-clock and CPU time (of the process: the replay thread plus the runtime's JIT and GC threads) are
    /// taken; the target is judged on CPU time, which on a shared machine is what one core would need, while the
    /// wall-clock time also holds the time other processes had the core.
    /// </remarks>
    public static (double WallSeconds, double CpuSeconds, long Ticks) ReplayThroughput(string key, double hours, bool driverOnly)
    {
        IBenchTarget target = BenchTargets.Create(key, driverOnly, metered: false);
        target.Start();
        long ticks = Math.Max(1, (long)(hours * TicksPerHour));
        using var process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        for (long sample = 0; sample < ticks; sample++)
        {
            target.SetSample(sample);
            target.Tick();
        }
        stopwatch.Stop();
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        return (stopwatch.Elapsed.TotalSeconds, cpu, ticks);
    }
}
