using Bms.Firmware.Events;

namespace Bms.Replay.Engine;

/// <summary>What one replay produced: the figures of the JSON summary and the series the report plots.</summary>
public sealed class ReplayResult
{
    public required string Trace { get; init; }
    public required string TracePath { get; init; }
    public required int Cells { get; init; }
    public required int Temps { get; init; }
    public required long Samples { get; init; }
    public required double Duration_s { get; init; }
    public required string Afe { get; init; }
    public required string Chemistry { get; init; }
    public IReadOnlyList<InjectionSpec> Injections { get; init; } = Array.Empty<InjectionSpec>();

    /// <summary>null when the trace has no reference SoC.</summary>
    public SocErrorStatistics? Soc { get; init; }

    /// <summary>Every raise and clear, in order.</summary>
    public required IReadOnlyList<ReplayEvent> Events { get; init; }

    /// <summary>First thermal-runaway event at alarm level or above, seconds since the trace start.</summary>
    public double? ThermalRunawayAlarm_s { get; init; }

    /// <summary>First time the main contactors opened after having closed, seconds since the trace start.</summary>
    public double? ContactorsOpened_s { get; init; }

    public required BusFigures Bus { get; init; }
    public required PerfFigures Perf { get; init; }

    /// <summary>Decimated series for plots.</summary>
    public required ReplaySeries Series { get; init; }

    /// <summary>Highest protection level reached during the replay.</summary>
    public ProtectionLevel HighestLevel { get; init; }

    /// <summary>Raised events only (what the JSON lists).</summary>
    public IEnumerable<ReplayEvent> Raised => Events.Where(e => e.Active);
}

/// <param name="BytesPerScan">Bus bytes of one complete AFE scan (the driver's last full scan).</param>
public sealed record BusFigures(int BytesPerScan, long Transfers, long CrcErrors, long Retries);

/// <param name="AllocBytesPerTick">Managed bytes allocated per firmware Poll in steady state (after the first second).</param>
public sealed record PerfFigures(long Ticks, double AllocBytesPerTick);

/// <summary>Points for the report's plots, one every <see cref="Stride_ms"/>.</summary>
public sealed class ReplaySeries
{
    public ReplaySeries(int cells, int temps, long stride_ms)
    {
        Stride_ms = stride_ms;
        CellTrue_mV = Enumerable.Range(0, cells).Select(_ => new List<double>()).ToArray();
        CellMeasured_mV = Enumerable.Range(0, cells).Select(_ => new List<double>()).ToArray();
        Temp_dC = Enumerable.Range(0, temps).Select(_ => new List<double>()).ToArray();
    }

    public long Stride_ms { get; }
    public List<double> Time_s { get; } = new();
    public List<double>[] CellTrue_mV { get; }
    /// <summary>What the firmware measured (NaN where invalid).</summary>
    public List<double>[] CellMeasured_mV { get; }
    public List<double>[] Temp_dC { get; }
    public List<double> TraceCurrent_mA { get; } = new();
    public List<double> MeasuredCurrent_mA { get; } = new();
    public List<double> Soc_pct { get; } = new();
    public List<double> ChargeLimit_A { get; } = new();
    public List<double> DischargeLimit_A { get; } = new();
    public List<double> ContactorsClosed { get; } = new();
    public List<double> Level { get; } = new();
    public List<double> LinkVoltage_V { get; } = new();
    public List<double> SocRefTime_s { get; } = new();
    public List<double> SocRef_pct { get; } = new();
}
