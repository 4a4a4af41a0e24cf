using System.Text.Json.Serialization;

namespace Bms.Replay.Bench;

/// <summary>The targets a configuration must meet; the bench's exit code is 1 when one is missed.</summary>
/// <param name="MaxReplaySecondsFor24h">null when the replay target does not apply (it is set for the 16-cell pack).</param>
public sealed record BenchTargetsSpec(long MaxIlPerTick, double? MaxReplaySecondsFor24h, double MaxBusOverheadRatio = 1.20, long MaxAllocatedBytesPerTick = 0)
{
    public static BenchTargetsSpec For(string configuration, int cellCount) =>
        new(cellCount <= 16 ? 10_000 : 20_000, configuration == BenchTargets.Bq76952Pack ? 10.0 : null);
}

/// <summary>RAM of one type in the estimate.</summary>
public sealed record RamShare(string Type, long Bytes, int Count);

/// <summary>A method's share of the instrumented run.</summary>
public sealed record MethodCost(string Method, double InstructionsPerTick, double CallsPerTick, double AllocationsPerTick);

/// <summary>Everything the bench measured for one configuration.</summary>
public sealed class BenchResult
{
    public required string Configuration { get; init; }
    public required string Composition { get; init; }
    public int Cells { get; init; }
    public int Temperatures { get; init; }

    /// <summary>The firmware's state at the end of the allocation run (contactors closed, no fault expected).</summary>
    public string SteadyState { get; init; } = "";

    // Heap
    public long AllocationTicks { get; init; }
    public double AllocatedBytesPerTick { get; init; }
    public double HostAllocatedBytesPerTick { get; init; }
    public double FirmwareAllocatedBytesPerTick { get; init; }
    /// <summary>Set when the first window showed firmware bytes and a second window was measured to confirm them.</summary>
    public double? FirstWindowFirmwareBytesPerTick { get; init; }
    public double FirmwareAllocationSitesPerTick { get; init; }

    // IL
    public long IlTicks { get; init; }
    public double IlInstructionsPerTick { get; init; }
    public long IlInstructionsWorstTick { get; init; }
    public IReadOnlyList<MethodCost> TopMethods { get; init; } = Array.Empty<MethodCost>();
    /// <summary>Index (0-based, from the start of the instrumented window) of the worst tick.</summary>
    public int IlWorstTickIndex { get; init; }
    /// <summary>The worst tick's own top methods (instructions and calls in that tick).</summary>
    public IReadOnlyList<MethodCost> WorstTickMethods { get; init; } = Array.Empty<MethodCost>();

    // Bus
    public string Bus { get; init; } = "";
    public int BusBytesPerScan { get; init; }
    public int MinimumBusBytesPerScan { get; init; }
    public double BusBytesPerTick { get; init; }
    public double BusTimePerScan_ms { get; init; }
    public double MinimumBusTimePerScan_ms { get; init; }

    // RAM
    public long RamInstanceBytes { get; init; }
    public int RamInstanceObjects { get; init; }
    public long RamStaticBytes { get; init; }
    public long RamTotalBytes => RamInstanceBytes + RamStaticBytes;
    public IReadOnlyList<RamShare> RamByType { get; init; } = Array.Empty<RamShare>();

    // Throughput
    public double ReplayedHours { get; init; }
    public double ReplayWallSeconds { get; init; }
    public double ReplayCpuSeconds { get; init; }
    /// <summary>Cell samples replayed per CPU second.</summary>
    public double CellSamplesPerSecond { get; init; }
    /// <summary>CPU seconds a 24 h replay takes (extrapolated from <see cref="ReplayedHours"/>): the target's figure.</summary>
    public double ReplaySecondsFor24h { get; init; }
    /// <summary>Wall-clock seconds for 24 h on this machine as loaded during the run.</summary>
    public double ReplayWallSecondsFor24h { get; init; }

    [JsonIgnore]
    public BenchTargetsSpec Targets => BenchTargetsSpec.For(Configuration, Cells);

    /// <summary>The targets missed, in words (empty when all are met).</summary>
    public IReadOnlyList<string> Misses()
    {
        var misses = new List<string>();
        if (FirmwareAllocatedBytesPerTick > Targets.MaxAllocatedBytesPerTick)
            misses.Add($"firmware allocates {FirmwareAllocatedBytesPerTick:0.##} bytes per steady-state tick (target {Targets.MaxAllocatedBytesPerTick})");
        if (IlInstructionsPerTick >= Targets.MaxIlPerTick)
            misses.Add($"{IlInstructionsPerTick:0} IL instructions per 100 ms tick (target < {Targets.MaxIlPerTick})");
        if (BusBytesPerScan > MinimumBusBytesPerScan * Targets.MaxBusOverheadRatio)
            misses.Add($"{BusBytesPerScan} bus bytes per scan, minimum {MinimumBusBytesPerScan} (target within {(Targets.MaxBusOverheadRatio - 1) * 100:0} %)");
        if (Targets.MaxReplaySecondsFor24h is double limit && ReplaySecondsFor24h >= limit)
            misses.Add($"24 h replay takes {ReplaySecondsFor24h:0.0} s of CPU (target < {limit} s)");
        return misses;
    }
}
