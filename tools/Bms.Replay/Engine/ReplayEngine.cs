using Bms.Firmware.Events;
using Bms.Replay.Output;
using Bms.Traces;

namespace Bms.Replay.Engine;

/// <summary>What to replay with which settings (the CLI's options, already checked).</summary>
public sealed class ReplaySettings
{
    /// <summary>bq76952 | bq76940 | ltc6813; null = bq76952 up to 16 cells, ltc6813 above.</summary>
    public string? Afe { get; init; }

    /// <summary>Chemistry profile name; null = the trace's metadata, else nmc-graphite.</summary>
    public string? Chemistry { get; init; }

    /// <summary>Overrides the estimator's initial state of charge.</summary>
    public int? SocInit_pcm { get; init; }

    /// <summary>Added to the current the firmware measures (a current-sensor offset).</summary>
    public int CurrentOffset_mA { get; init; }

    public IReadOnlyList<InjectionSpec> Injections { get; init; } = Array.Empty<InjectionSpec>();

    /// <summary>Stops the replay this long after the trace start (scenario variants that only need the first part); null = whole trace.</summary>
    public long? StopAfter_ms { get; init; }

    /// <summary>Tick CSV destination for this trace, or null.</summary>
    public string? CsvPath { get; init; }
}

/// <summary>
/// Replays one trace: validates it completely (a malformed file replays nothing), then streams it through
/// the rig. Virtual time runs from the first row (t = 0) to the last in 10 ms firmware polls; the pack
/// values follow the trace by zero-order hold (<see cref="TraceFeeder"/>). The trace's current flows only
/// while the main contactors are physically closed (an open contactor disconnects the load the recording
/// came from); the recorded voltages and temperatures are replayed as recorded either way.
/// </summary>
public sealed class ReplayEngine
{
    public const int PollPeriod_ms = 10;
    public const int TickPeriod_ms = 100;
    private const long AllocationWarmup_ms = 1000;
    private const int MaxPlotPoints = 4000;

    private readonly Func<RigRequest, IReplayRig> _rigFactory;

    public ReplayEngine(Func<RigRequest, IReplayRig> rigFactory) => _rigFactory = rigFactory;

    /// <summary>Default chip for a pack size.</summary>
    public static string DefaultAfe(int cells) => cells <= 16 ? "bq76952" : "ltc6813";

    /// <summary>Chemistry used when neither the option nor the trace names one.</summary>
    public const string DefaultChemistry = "nmc-graphite";

    /// <param name="progress">Called now and then with (virtual ms done, total ms).</param>
    public ReplayResult Run(string tracePath, ReplaySettings settings, Action<long, long>? progress = null)
    {
        TraceInfo info = TraceReader.Validate(tracePath);
        using var reader = TraceReader.Open(tracePath);
        return Run(info, reader, tracePath, settings, progress);
    }

    /// <summary>
    /// Replays an in-memory trace (for example one the pack simulator just generated). It goes through the
    /// v1 text form, so it is checked exactly like a file; <see cref="Trace.Name"/> names it in messages.
    /// </summary>
    public ReplayResult Run(Trace trace, ReplaySettings settings, Action<long, long>? progress = null)
    {
        var text = new StringWriter();
        TraceWriter.Write(trace, text);
        string name = string.IsNullOrEmpty(trace.Name) ? "trace.csv" : trace.Name;
        TraceInfo info = TraceReader.Validate(new StringReader(text.ToString()), name);
        using var reader = new TraceReader(new StringReader(text.ToString()), name);
        return Run(info, reader, name, settings, progress);
    }

    /// <summary>Replays a trace already validated (<paramref name="info"/>) from a fresh reader of the same text.</summary>
    public ReplayResult Run(TraceInfo info, TraceReader reader, string tracePath, ReplaySettings settings, Action<long, long>? progress = null)
    {
        var trace = info.Trace;
        string afe = settings.Afe ?? DefaultAfe(trace.Cells);
        string chemistry = settings.Chemistry ?? trace.Chemistry ?? DefaultChemistry;
        var recorder = new EventRecorder();
        var rig = _rigFactory(new RigRequest(afe, trace.Cells, trace.Temps, chemistry, trace.Capacity_mAh, settings.SocInit_pcm, recorder));
        foreach (var spec in settings.Injections)
        {
            string? problem = spec.CheckAgainst(trace.Cells, rig.DeviceCount);
            if (problem is not null) throw new ReplayException(problem);
            if (!rig.SupportedInjections.Contains(spec.Kind))
                throw new ReplayException("--inject " + spec.Text + ": the " + rig.AfeName + " emulator cannot show this fault (it can: " +
                                          string.Join(", ", rig.SupportedInjections.Select(InjectionSpec.KindName)) + ")");
        }

        long t0 = info.FirstTime_ms;
        long duration = settings.StopAfter_ms is long stop ? Math.Min(stop, info.Duration_ms) : info.Duration_ms;
        var feeder = new TraceFeeder(reader, info);
        var soc = new SocErrorStatistics();
        long stride = Math.Max(TickPeriod_ms, (duration / MaxPlotPoints + TickPeriod_ms - 1) / TickPeriod_ms * TickPeriod_ms);
        var series = new ReplaySeries(trace.Cells, trace.Temps, stride);
        var injections = settings.Injections.OrderBy(i => i.At_ms).ToArray();
        var started = new bool[injections.Length];
        var ended = new bool[injections.Length];

        using var csv = settings.CsvPath is null ? null : new TickCsvWriter(settings.CsvPath);

        var pack = rig.Pack;
        var contactors = rig.Contactors;
        bool mainsWereClosed = false;
        double? contactorsOpened_s = null;
        ProtectionLevel highest = ProtectionLevel.None;
        long ticks = 0, measuredAlloc = 0, measuredPolls = 0;
        long nextProgress = 0, progressStep = Math.Max(1000, duration / 200);

        ApplyPhysics(feeder, rig, settings.CurrentOffset_mA, 0, t0);
        rig.Start();
        rig.RequestClose();

        for (long now = 0; now <= duration; now += PollPeriod_ms)
        {
            feeder.AdvanceTo(t0 + now);
            rig.Clock.AdvanceTo_ms(now);
            for (int i = 0; i < injections.Length; i++)
            {
                var spec = injections[i];
                if (!started[i] && now >= spec.At_ms)
                {
                    rig.Emulator.Inject(spec.Fault, spec.EmulatorTarget);
                    started[i] = true;
                }
                if (started[i] && !ended[i] && spec.End_ms is long end && now >= end)
                {
                    rig.Emulator.Clear(spec.Fault);
                    ended[i] = true;
                }
            }
            ApplyPhysics(feeder, rig, settings.CurrentOffset_mA, now, t0);

            long before = GC.GetAllocatedBytesForCurrentThread();
            rig.Poll();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            ticks++;
            if (now >= AllocationWarmup_ms)
            {
                measuredAlloc += allocated;
                measuredPolls++;
            }

            bool closed = contactors.MainsClosed;
            if (mainsWereClosed && !closed && contactorsOpened_s is null) contactorsOpened_s = now / 1000.0;
            mainsWereClosed |= closed;

            if (feeder.SocReferenceArrived)
            {
                // the firmware reports -1 until its estimator has started (first complete scan): nothing to compare yet
                int firmwareSoc = rig.PackSoc_pcm;
                if (firmwareSoc >= 0) soc.Add(feeder.SocReferenceTime_ms - t0, feeder.LastSocRef_pcm, firmwareSoc);
                else soc.NotStarted++;
                if (series.SocRef_pct.Count == 0 || feeder.SocReferenceTime_ms - t0 >= series.SocRefTime_s[^1] * 1000 + stride)
                {
                    series.SocRefTime_s.Add((feeder.SocReferenceTime_ms - t0) / 1000.0);
                    series.SocRef_pct.Add(feeder.LastSocRef_pcm / 1000.0);
                }
            }

            if (now % TickPeriod_ms == 0)
            {
                var level = rig.HighestActiveLevel;
                if (level > highest) highest = level;
                if (csv is not null) WriteTick(csv, rig, now);
                if (now % stride == 0) AddPoint(series, rig, feeder, now);
            }

            if (progress is not null && now >= nextProgress)
            {
                progress(now, duration);
                nextProgress = now + progressStep;
            }
        }
        progress?.Invoke(duration, duration);

        var events = recorder.Events;
        double? runaway = null;
        foreach (var e in events)
        {
            if (e.Active && e.Code == BmsEventCode.ThermalRunaway && e.Level >= ProtectionLevel.Alarm)
            {
                runaway = e.Time_ms / 1000.0;
                break;
            }
        }
        foreach (var e in events) if (e.Active && e.Level > highest) highest = e.Level;
        var stats = rig.BusStatistics;
        return new ReplayResult
        {
            Trace = Path.GetFileName(tracePath),
            TracePath = tracePath,
            Cells = trace.Cells,
            Temps = trace.Temps,
            Samples = info.Samples,
            Duration_s = duration / 1000.0,
            Afe = rig.AfeName,
            Chemistry = chemistry,
            Injections = settings.Injections,
            Soc = info.SocReferenceSamples > 0 ? soc : null,
            Events = events,
            ThermalRunawayAlarm_s = runaway,
            ContactorsOpened_s = contactorsOpened_s,
            Bus = new BusFigures(stats.LastScanBusBytes, stats.Transfers, stats.CrcErrors, stats.Retries),
            Perf = new PerfFigures(ticks, measuredPolls == 0 ? 0 : measuredAlloc / (double)measuredPolls),
            Series = series,
            HighestLevel = highest,
        };
    }

    /// <summary>Sets what the chip measures now: recorded voltages/temperatures, the load current when the mains conduct, the link voltage.</summary>
    private static void ApplyPhysics(TraceFeeder feeder, IReplayRig rig, int currentOffset_mA, long now, long t0)
    {
        var pack = rig.Pack;
        int n = Math.Min(pack.CellCount, feeder.Cell_mV.Length);
        for (int i = 0; i < n; i++) pack.CellVoltage_mV[i] = feeder.Cell_mV[i];
        int m = Math.Min(pack.TemperatureCount, feeder.Temp_dC.Length);
        for (int i = 0; i < m; i++) pack.Temperature_dC[i] = feeder.Temp_dC[i];
        rig.Contactors.Update(now, pack.StackVoltage_mV);
        pack.LinkVoltage_mV = rig.Contactors.LinkVoltage_mV;
        int load = rig.Contactors.MainsClosed ? feeder.Current_mA : 0;
        pack.Current_mA = load + currentOffset_mA;
    }

    private static void WriteTick(TickCsvWriter csv, IReplayRig rig, long now)
    {
        var s = rig.Snapshot;
        int? min = null, max = null, maxT = null;
        for (int i = 0; i < s.CellCount; i++)
        {
            if (!s.CellValid[i]) continue;
            int v = s.CellVoltage_mV[i];
            if (min is null || v < min) min = v;
            if (max is null || v > max) max = v;
        }
        for (int i = 0; i < s.TemperatureCount; i++)
        {
            if (!s.TemperatureValid[i]) continue;
            if (maxT is null || s.Temperature_dC[i] > maxT) maxT = s.Temperature_dC[i];
        }
        csv.Write(now, rig.PackSoc_pcm, rig.ContactorState, rig.ChargeLimit_mA, rig.DischargeLimit_mA,
            TickCsvWriter.BalancingMask(rig.BalancingCells), JsonSummaryWriter.LevelName(rig.HighestActiveLevel),
            s.CurrentValid ? s.Current_mA : null, min, max, maxT, rig.Contactors.LinkVoltage_mV);
    }

    private static void AddPoint(ReplaySeries series, IReplayRig rig, TraceFeeder feeder, long now)
    {
        var s = rig.Snapshot;
        series.Time_s.Add(now / 1000.0);
        for (int i = 0; i < series.CellTrue_mV.Length; i++)
        {
            series.CellTrue_mV[i].Add(feeder.Cell_mV[i]);
            bool valid = i < s.CellCount && s.CellValid[i];
            series.CellMeasured_mV[i].Add(valid ? s.CellVoltage_mV[i] : double.NaN);
        }
        for (int i = 0; i < series.Temp_dC.Length; i++) series.Temp_dC[i].Add(feeder.Temp_dC[i]);
        series.TraceCurrent_mA.Add(feeder.Current_mA);
        series.MeasuredCurrent_mA.Add(s.CurrentValid ? s.Current_mA : double.NaN);
        series.Soc_pct.Add(rig.PackSoc_pcm >= 0 ? rig.PackSoc_pcm / 1000.0 : double.NaN);
        series.ChargeLimit_A.Add(rig.ChargeLimit_mA / 1000.0);
        series.DischargeLimit_A.Add(rig.DischargeLimit_mA / 1000.0);
        series.ContactorsClosed.Add(rig.Contactors.MainsClosed ? 1 : 0);
        series.Level.Add((int)rig.HighestActiveLevel);
        series.LinkVoltage_V.Add(rig.Contactors.LinkVoltage_mV / 1000.0);
    }
}

/// <summary>A replay that cannot run as asked (bad option for this trace or chip); the message says why.</summary>
public sealed class ReplayException : Exception
{
    public ReplayException(string message) : base(message) { }
}
