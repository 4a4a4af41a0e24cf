using Bms.Simulation.Model;
using Bms.Traces;

namespace Bms.Simulation.Scenarios;

/// <summary>The scenarios <c>bms-replay simulate</c> knows, by name.</summary>
public static class BuiltInScenarios
{
    /// <summary>Fresh instances of every scenario (scenarios keep per-run state: never share one between runs).</summary>
    public static IReadOnlyList<Scenario> All => Create();

    private static Scenario[] Create() => new Scenario[]
    {
        new DriveCycleScenario(), new FastChargeScenario(), new LongRestScenario(), new CellImbalanceScenario(),
        new OvervoltageChargerFaultScenario(), new OverTemperatureScenario(), new OverTemperatureChargeScenario(), new InternalShortScenario(),
        new ThermalRunawayScenario(), new ThermistorFaultScenario(open: true), new ThermistorFaultScenario(open: false),
        new NormalTraceScenario("open-sense-wire", "a light drive for a chip-level open sense wire (the fault is injected at replay: \"afe\": \"ltc6813\", \"inject\": [\"open-wire:3@300s\"])"),
        new NormalTraceScenario("afe-comm-loss", "a light drive for a chip-level communication loss (the fault is injected at replay: \"inject\": [\"no-answer@600s\"])"),
    };

    public static IEnumerable<string> Names => All.Select(s => s.Name);

    /// <summary>A fresh instance of the scenario with this name, or null.</summary>
    public static Scenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>Drive-cycle battery current: the normalised power scaled to a peak discharge, obeying the BMS limits.</summary>
    internal static double DriveCurrent_A(ScenarioContext context, double t_s, double peakDischarge_C, double maxRegen_C)
    {
        double p = DriveProfile.NormalisedPower(t_s);
        double requested = -p * peakDischarge_C * context.OneC_A;
        requested = Math.Min(requested, maxRegen_C * context.OneC_A);
        return context.Limits.Comply(context.Pack, requested);
    }
}

/// <summary>A WLTP-like drive (peak 2C discharge, regeneration up to 0.8C) from 80 %, the vehicle obeying the BMS limits.</summary>
public sealed class DriveCycleScenario : Scenario
{
    public override string Name => "drive-cycle";
    public override string Summary => "WLTP-like drive cycle, peaks of 2C discharge and 0.8C regeneration, from 80 % SoC (normal: no alarm)";
    public override double DefaultDuration_s => DriveProfile.CycleLength_s;
    public override double InitialSoc => 0.8;
    public override double Current_A(ScenarioContext c, double t) => BuiltInScenarios.DriveCurrent_A(c, t, 2.0, 0.8);
}

/// <summary>DC fast charge: constant current (2C, within the chemistry's rating) then the taper the BMS limits ask for, to full.</summary>
public sealed class FastChargeScenario : Scenario
{
    private bool _done;
    public override string Name => "fast-charge";
    public override string Summary => "DC fast charge from 10 %: 2C (capped at the chemistry's rating) constant current, tapering with the BMS limits (CV) until C/20, then rest (normal: no alarm)";
    public override double DefaultDuration_s => 3600;
    public override string DefaultChemistry => "lfp";
    public override double InitialSoc => 0.10;

    public override double Current_A(ScenarioContext c, double t)
    {
        if (t < 30 || _done) return 0;
        double rated = c.Limits.Tables.MaxCharge_mA / 1000.0 * 0.9;
        double cc = Math.Min(2.0 * c.OneC_A, rated);
        double i = c.Limits.Comply(c.Pack, cc);
        if (t > 120 && i < c.OneC_A / 20)
        {
            _done = true;
            c.Mark("charge_end", t, tag: true);
            return 0;
        }
        return i;
    }

    public override bool Finished(ScenarioContext c, double t) => c.Marks.TryGetValue("charge_end", out double end) && t >= end + 300;
}

/// <summary>Parked for hours after a short drive: relaxation, cooling, slow self-discharge only.</summary>
public sealed class LongRestScenario : Scenario
{
    public override string Name => "long-rest";
    public override string Summary => "5 min of driving, then hours of rest: relaxation, cooling to ambient, healthy self-discharge only (normal: no alarm, no InternalShort)";
    public override double DefaultDuration_s => 7500;
    public override double InitialSoc => 0.6;
    public override double Current_A(ScenarioContext c, double t) => t < 300 ? BuiltInScenarios.DriveCurrent_A(c, t + 1000, 1.5, 0.6) : 0;
}

/// <summary>One cell 9 % SoC below the others; discharged into the steep low-SoC part of the OCV curve the spread shows.</summary>
public sealed class CellImbalanceScenario : Scenario
{
    public const int WeakCell = 2; // 0-based: cell 3
    public const double SocDeficit = 0.09;
    public override string Name => "cell-imbalance";
    public override string Summary => "cell 3 starts 9 % SoC below the others; a 0.5C discharge from 28 % into the steep low-SoC OCV region (CellImbalance)";
    public override double DefaultDuration_s => 1800;
    public override double InitialSoc => 0.28;

    public override void Setup(ScenarioContext c)
    {
        var cell = c.Pack.Cells[Math.Min(WeakCell, c.Pack.Cells.Length - 1)];
        cell.Charge_As -= SocDeficit * cell.Capacity_As;
    }

    public override double Current_A(ScenarioContext c, double t) => t < 60 || t >= 1500 ? 0 : c.Limits.Comply(c.Pack, -0.5 * c.OneC_A);
}

/// <summary>A charger that ignores the BMS and keeps pushing 0.5C past full.</summary>
public sealed class OvervoltageChargerFaultScenario : Scenario
{
    public override string Name => "overvoltage-charger-fault";
    public override string Summary => "charger fault: 0.5C constant current from 90 % that ignores the BMS limits and goes on past full (CellOverVoltage fault, contactors open)";
    public override double DefaultDuration_s => 1500;
    public override double InitialSoc => 0.90;

    public override double Current_A(ScenarioContext c, double t)
    {
        if (t < 30) return 0;
        double maxCell = c.Pack.Cells.Max(cell => cell.Terminal_V);
        if (maxCell * 1000 >= c.Pack.Profile.Envelope.MaxCellVoltage_mV) c.Mark("cell_above_envelope", t);
        // Even a faulty charger has its own end: it stops at 4.1 % above the cell envelope.
        return maxCell * 1000 > c.Pack.Profile.Envelope.MaxCellVoltage_mV * 1.041 ? 0 : 0.5 * c.OneC_A;
    }
}

/// <summary>Cooling failure: the enclosure air heats up to 90 °C; the drive unit obeys the (thermally derated) limits.</summary>
public sealed class OverTemperatureScenario : Scenario
{
    public override string Name => "over-temperature";
    public override string Summary => "cooling failure: the air around the pack heats from 30 to 90 °C while driving; cells pass the discharge temperature limits (OverTemperatureDischarge)";
    public override double DefaultDuration_s => 2400;
    public override double InitialSoc => 0.7;

    public override void Setup(ScenarioContext c)
    {
        c.Pack.Ambient_C = 30;
        c.Pack.SetAllTemperatures(30);
    }

    public override double Current_A(ScenarioContext c, double t)
    {
        if (t >= 120)
        {
            c.Mark("cooling_failure", 120, tag: t < 120 + c.Dt_s);
            // Hot air forced through the pack: the ambient ramps up and couples strongly.
            c.Pack.Ambient_C = Math.Min(90, 30 + (t - 120) * 60.0 / 900.0);
            c.Pack.AmbientConductance_W_per_K = 0.15;
        }
        return BuiltInScenarios.DriveCurrent_A(c, t, 1.0, 0.4);
    }
}

/// <summary>Cooling failure while a charger that ignores the BMS limits keeps charging at 0.5C.</summary>
public sealed class OverTemperatureChargeScenario : Scenario
{
    public override string Name => "over-temperature-charge";
    public override string Summary => "cooling failure while charging: hot air (30 -> 70 °C) and a charger that ignores the BMS's thermal derating keeps 0.5C; cells pass the charge temperature limits (OverTemperatureCharge)";
    public override double DefaultDuration_s => 1500;
    public override double InitialSoc => 0.3;

    public override void Setup(ScenarioContext c)
    {
        c.Pack.Ambient_C = 30;
        c.Pack.SetAllTemperatures(30);
    }

    public override double Current_A(ScenarioContext c, double t)
    {
        if (t < 30) return 0;
        if (t >= 60)
        {
            c.Mark("cooling_failure", 60, tag: t < 60 + c.Dt_s);
            c.Pack.Ambient_C = Math.Min(70, 30 + (t - 60) * 40.0 / 600.0);
            c.Pack.AmbientConductance_W_per_K = 0.15;
        }
        return 0.5 * c.OneC_A;
    }
}

/// <summary>A cell develops a 30 mA internal leak while parked.</summary>
public sealed class InternalShortScenario : Scenario
{
    public const int ShortedCell = 2; // 0-based: cell 3
    public const double Leak_A = 0.030;
    public const double RestStart_s = 600;
    public override string Name => "internal-short";
    public override string Summary => "10 min of driving, then rest; cell 3 develops a 30 mA internal leak when parked (InternalShort within 2 h of rest)";
    public override double DefaultDuration_s => RestStart_s + 7500;
    public override double InitialSoc => 0.6;

    public override double Current_A(ScenarioContext c, double t)
    {
        if (t < RestStart_s) return BuiltInScenarios.DriveCurrent_A(c, t + 600, 1.0, 0.4);
        if (t >= RestStart_s && c.Pack.Cells[ShortedCell].Leak_A == 0)
        {
            c.Pack.Cells[Math.Min(ShortedCell, c.Pack.Cells.Length - 1)].Leak_A = Leak_A;
            c.Mark("short_on", t, tag: true);
        }
        return 0;
    }
}

/// <summary>
/// A cell goes into thermal runaway at rest: accelerating exothermic self-heating (exp((T − T0)/θ)), the
/// separator fails above 110 °C and the voltage collapses. Tags <c>tr_onset</c> when the self-heating starts and
/// <c>tr_condition</c> when the GB 38031-2025 C.5.3.7 condition ((a) drop &gt; 25 % or (b) max operating
/// temperature) and (c) (dT/dt ≥ 1 °C/s for more than 3 s) first holds in the recorded data.
/// </summary>
public sealed class ThermalRunawayScenario : Scenario
{
    public const double Onset_s = 240;
    private int _cell = -1, _sensor = -1;
    private double[]? _initial_mV;
    private readonly Queue<(double T, int Dc)> _history = new();
    private double _rateSince = -1;

    public override string Name => "thermal-runaway";
    public override string Summary => "a light drive, then at rest cell under thermistor 1 self-heats ever faster into thermal runaway, its voltage collapses (ThermalRunawayPrecursor, then ThermalRunaway fault)";
    public override int DefaultRate_Hz => 10;
    public override double DefaultDuration_s => 560;
    public override double InitialSoc => 0.7;

    public override void Setup(ScenarioContext c)
    {
        _sensor = 0;
        _cell = c.Pack.SensorCell.Length > 0 ? c.Pack.SensorCell[0] : 0;
    }

    public override double Current_A(ScenarioContext c, double t)
    {
        if (t < 120) return BuiltInScenarios.DriveCurrent_A(c, t + 200, 0.6, 0.3);
        if (t >= Onset_s && c.Pack.Cells[_cell].SelfHeating is null)
        {
            c.Pack.Cells[_cell].SelfHeating = new SelfHeating
            {
                InitialPower_W = 3.0 * c.Pack.HeatCapacity_J_per_K / 45.0,
                ReferenceTemperature_C = c.Pack.Cells[_cell].Temperature_C,
                Theta_K = 8.0,
                MaxPower_W = 600.0 * c.Pack.HeatCapacity_J_per_K / 45.0,
                Energy_J = 25000.0 * c.Pack.HeatCapacity_J_per_K / 45.0,
            };
            c.Mark("tr_onset", t, tag: true);
        }
        return 0;
    }

    public override void Measure(ScenarioContext c, double t, TraceSample sample)
    {
        // Evaluate the standard's condition on what was recorded (the deadline of the expectation follows from it).
        if (_sensor < 0 || sample.Temp_dC.Length == 0) return;
        if (t >= Onset_s && _initial_mV is null) _initial_mV = Array.ConvertAll(sample.Cell_mV, x => (double)x);
        int now = sample.Temp_dC[_sensor];
        _history.Enqueue((t, now));
        while (_history.Count > 0 && _history.Peek().T < t - 1.0 - 1e-9) _history.Dequeue();
        var first = _history.Peek();
        bool rate = t - first.T >= 1.0 - 1e-9 && now - first.Dc >= 10;
        if (!rate) _rateSince = -1;
        else if (_rateSince < 0) _rateSince = t;
        bool c3 = _rateSince >= 0 && t - _rateSince > 3.0;
        bool b = now >= c.Pack.Profile.Envelope.MaxDischargeTemperature_dC;
        bool a = false;
        if (_initial_mV is not null)
            for (int i = 0; i < sample.Cell_mV.Length; i++)
                if (sample.Cell_mV[i] < 0.75 * _initial_mV[i]) a = true;
        if (a) c.Mark("tr_voltage_drop_25pct", t);
        if (b) c.Mark("tr_max_operating_temperature", t);
        if (_rateSince >= 0) c.Mark("tr_rate_1C_per_s", _rateSince);
        if ((a || b) && c3) c.Mark("tr_condition", t, tag: true);
    }
}

/// <summary>A thermistor fails open (reads the low rail) or shorted (reads the high rail) while driving.</summary>
public sealed class ThermistorFaultScenario : Scenario
{
    public const double Fault_s = 300;
    public const int FaultySensor = 1; // 0-based: t2
    private readonly bool _open;

    public ThermistorFaultScenario(bool open) => _open = open;

    public override string Name => _open ? "open-thermistor" : "shorted-thermistor";
    public override string Summary => _open
        ? "while driving, thermistor 2 fails open at 300 s and reads the open-circuit rail (-50 °C) (SensorFault, not ThermalRunaway)"
        : "while driving, thermistor 2 fails shorted at 300 s and reads the short-circuit rail (150 °C) (SensorFault, not ThermalRunaway)";
    public override double DefaultDuration_s => 900;
    public override double InitialSoc => 0.7;

    public override double Current_A(ScenarioContext c, double t) => BuiltInScenarios.DriveCurrent_A(c, t, 1.0, 0.4);

    public override void Measure(ScenarioContext c, double t, TraceSample sample)
    {
        if (t < Fault_s || sample.Temp_dC.Length == 0) return;
        int sensor = Math.Min(FaultySensor, sample.Temp_dC.Length - 1);
        sample.Temp_dC[sensor] = _open ? -500 : 1500;
        c.Mark(_open ? "thermistor_open" : "thermistor_shorted", t, tag: true);
    }
}

/// <summary>A normal light drive whose trace carries a chip-level fault only in its expectation file.</summary>
public sealed class NormalTraceScenario : Scenario
{
    private readonly string _name, _summary;
    public NormalTraceScenario(string name, string summary) { _name = name; _summary = summary; }
    public override string Name => _name;
    public override string Summary => _summary;
    public override double DefaultDuration_s => 900;
    public override double InitialSoc => 0.7;
    public override double Current_A(ScenarioContext c, double t) => BuiltInScenarios.DriveCurrent_A(c, t, 1.0, 0.4);
}
