using System.Globalization;
using Bms.Firmware.Protection;
using Bms.Simulation.Model;
using Bms.Simulation.Scenarios;
using Bms.Traces;

namespace Bms.Simulation;

/// <summary>Settings of one simulation run (null = the scenario's default).</summary>
public sealed class SimulationSettings
{
    public string Scenario { get; set; } = "drive-cycle";
    public int Cells { get; set; } = 6;
    /// <summary>Thermistors; null = one per 3 cells (rounded up), which every supported chip can take for ≤ 15 cells.</summary>
    public int? Temps { get; set; }
    public long Seed { get; set; } = 1;
    public string? Chemistry { get; set; }
    public int? Rate_Hz { get; set; }
    public double? Duration_s { get; set; }
    public double? InitialSoc { get; set; }
    public double Ambient_C { get; set; } = 25;
    public double CurrentNoise_mA { get; set; } = 10;
    public double CurrentOffset_mA { get; set; }
}

/// <summary>What a run produced besides the trace.</summary>
public sealed record SimulationResult(string Scenario, int Samples, double Duration_s, IReadOnlyDictionary<string, double> Marks);

/// <summary>Runs a scenario on the pack model and writes trace format v1.</summary>
public static class Simulator
{
    /// <summary>Sample rates a trace may be written at.</summary>
    public static readonly int[] Rates_Hz = { 1, 10 };

    /// <summary>Runs <paramref name="settings"/> and writes the trace to <paramref name="output"/>. Throws <see cref="ArgumentException"/> on bad settings.</summary>
    public static SimulationResult Run(SimulationSettings settings, TextWriter output)
    {
        var scenario = BuiltInScenarios.Find(settings.Scenario)
            ?? throw new ArgumentException("unknown scenario '" + settings.Scenario + "' (known: " + string.Join(", ", BuiltInScenarios.Names) + ")");
        int rate = settings.Rate_Hz ?? scenario.DefaultRate_Hz;
        if (Array.IndexOf(Rates_Hz, rate) < 0) throw new ArgumentException("--rate must be 1 or 10 (Hz), got " + rate);
        double duration = settings.Duration_s ?? scenario.DefaultDuration_s;
        if (!(duration > 0) || duration > 30 * 86400) throw new ArgumentException("--duration must be > 0 s and at most 30 days, got " + duration.ToString(CultureInfo.InvariantCulture));
        if (settings.Cells < 1 || settings.Cells > TraceReader.MaxChannels) throw new ArgumentException("--cells must be 1.." + TraceReader.MaxChannels + ", got " + settings.Cells);
        int temps = settings.Temps ?? (settings.Cells + 2) / 3;

        var options = new PackOptions
        {
            Cells = settings.Cells,
            Temps = temps,
            Chemistry = settings.Chemistry ?? scenario.DefaultChemistry,
            Seed = settings.Seed,
            InitialSoc = settings.InitialSoc ?? scenario.InitialSoc,
            Ambient_C = settings.Ambient_C,
            CurrentNoise_mA = settings.CurrentNoise_mA,
            CurrentOffset_mA = settings.CurrentOffset_mA,
        };
        var pack = new PackModel(options);
        double dt = 1.0 / rate;
        var context = new ScenarioContext(pack, duration, dt);
        scenario.Setup(context);

        var header = new Trace(options.Cells, options.Temps)
        {
            Capacity_mAh = pack.NominalCapacity_mAh,
            Chemistry = options.Chemistry,
            Source = "simulate " + scenario.Name + " seed " + settings.Seed.ToString(CultureInfo.InvariantCulture),
            Dt_ms = 1000 / rate,
        };
        var facts = new ThresholdFacts(pack, context);
        var sample = new TraceSample(options.Cells, options.Temps);
        int samples = 0;
        long steps = (long)Math.Round(duration * rate);
        using (var writer = new TraceWriter(output, header, socReferenceColumn: true, eventColumn: true))
        {
            for (long k = 0; k <= steps; k++)
            {
                double t = k * dt;
                double current = scenario.Current_A(context, t);
                Record(pack, current, t, sample);
                scenario.Measure(context, t, sample);
                facts.Observe(t, sample);
                sample.Event = context.PendingEvent;
                context.PendingEvent = null;
                writer.Write(sample);
                samples++;
                if (scenario.Finished(context, t)) break;
                pack.Step(current, dt);
            }
        }
        return new SimulationResult(scenario.Name, samples, (samples - 1) * dt, context.Marks);
    }

    // Fills one row: what the AFE and the current sensor would read now (noise, integer units).
    private static void Record(PackModel pack, double current_A, double t_s, TraceSample sample)
    {
        var o = pack.Options;
        var rng = pack.Random;
        sample.Time_ms = (long)Math.Round(t_s * 1000);
        sample.Current_mA = (int)Math.Round(current_A * 1000 + o.CurrentOffset_mA + rng.Gaussian(o.CurrentNoise_mA));
        for (int c = 0; c < pack.Cells.Length; c++)
        {
            double v = pack.Terminal_V(pack.Cells[c], current_A) * 1000 + rng.Gaussian(o.CellNoise_mV, 2.0);
            sample.Cell_mV[c] = (int)Math.Clamp(Math.Round(v), TraceReader.MinCell_mV, TraceReader.MaxCell_mV);
        }
        for (int s = 0; s < sample.Temp_dC.Length; s++)
        {
            double d = pack.SensorTemperature_C(s) * 10 + rng.Gaussian(o.TemperatureNoise_C * 10, 2.0);
            sample.Temp_dC[s] = (int)Math.Clamp(Math.Round(d), TraceReader.MinTemp_dC, TraceReader.MaxTemp_dC);
        }
        sample.SocRef_pcm = (int)Math.Round(pack.PackSoc * 100000);
    }

    /// <summary>
    /// Marks the first time the recorded data crosses the firmware's protection thresholds (derived from the
    /// chemistry envelope as the firmware derives them): where an expectation's deadline comes from.
    /// </summary>
    private sealed class ThresholdFacts
    {
        private readonly ScenarioContext _context;
        private readonly QuantityThresholds _ov, _uv, _imbalance, _otDischarge, _otCharge;

        public ThresholdFacts(PackModel pack, ScenarioContext context)
        {
            _context = context;
            var p = ProtectionConfiguration.FromEnvelope(pack.Profile.Envelope, pack.NominalCapacity_mAh);
            _ov = p.GetQuantity(ProtectedQuantity.CellOverVoltage);
            _uv = p.GetQuantity(ProtectedQuantity.CellUnderVoltage);
            _imbalance = p.GetQuantity(ProtectedQuantity.CellImbalance);
            _otDischarge = p.GetQuantity(ProtectedQuantity.OverTemperatureDischarge);
            _otCharge = p.GetQuantity(ProtectedQuantity.OverTemperatureCharge);
        }

        public void Observe(double t, TraceSample s)
        {
            int max = s.Cell_mV.Max(), min = s.Cell_mV.Min();
            Above("max_cell_mV", max, _ov, t);
            Below("min_cell_mV", min, _uv, t);
            Above("spread_mV", max - min, _imbalance, t);
            if (s.Temp_dC.Length > 0)
            {
                int hot = s.Temp_dC.Max();
                Above("max_temp_dC", hot, _otDischarge, t, "discharge");
                if (s.Current_mA > 0) Above("max_temp_dC", hot, _otCharge, t, "charge_while_charging");
            }
        }

        private void Above(string what, int value, QuantityThresholds q, double t, string suffix = "")
        {
            for (int level = 0; level < 3; level++)
                if (value >= q.GetLevel(level).Threshold)
                    _context.Mark(what + ">=" + q.GetLevel(level).Threshold + (suffix.Length > 0 ? "_" + suffix : ""), t);
        }

        private void Below(string what, int value, QuantityThresholds q, double t)
        {
            for (int level = 0; level < 3; level++)
                if (value <= q.GetLevel(level).Threshold)
                    _context.Mark(what + "<=" + q.GetLevel(level).Threshold, t);
        }
    }
}
