using Bms.Simulation.Model;
using Bms.Traces;

namespace Bms.Simulation.Scenarios;

/// <summary>
/// One simulated situation: how the pack starts, the current it carries, what happens to it and to its sensors.
/// The <see cref="Simulator"/> calls <see cref="Setup"/> once, then per sample <see cref="Current_A"/> (the current
/// for the coming sample period), records the sample (<see cref="Measure"/> may falsify readings, as a broken
/// sensor would) and advances the model.
/// </summary>
public abstract class Scenario
{
    public abstract string Name { get; }

    /// <summary>One line for the help text and the trace's source.</summary>
    public abstract string Summary { get; }

    /// <summary>Sample rate the scenario needs (10 Hz where seconds matter, e.g. thermal runaway).</summary>
    public virtual int DefaultRate_Hz => 1;

    public abstract double DefaultDuration_s { get; }

    public virtual string DefaultChemistry => "nmc-graphite";

    /// <summary>Mean initial cell SoC, 0..1.</summary>
    public virtual double InitialSoc => 0.5;

    /// <summary>Prepares the pack (faulty cells, ambient); called once before the first sample.</summary>
    public virtual void Setup(ScenarioContext context) { }

    /// <summary>Pack current (+ = charging) for the sample period starting at <paramref name="t_s"/>.</summary>
    public abstract double Current_A(ScenarioContext context, double t_s);

    /// <summary>Lets a scenario change the recorded readings (a broken thermistor) after the model measured them.</summary>
    public virtual void Measure(ScenarioContext context, double t_s, TraceSample sample) { }

    /// <summary>True when the scenario has nothing left to show (ends the trace before the duration).</summary>
    public virtual bool Finished(ScenarioContext context, double t_s) => false;
}

/// <summary>What a scenario sees while it runs.</summary>
public sealed class ScenarioContext
{
    internal ScenarioContext(PackModel pack, double duration_s, double dt_s)
    {
        Pack = pack;
        Limits = new CompliantLimits(pack);
        Duration_s = duration_s;
        Dt_s = dt_s;
    }

    public PackModel Pack { get; }

    /// <summary>The firmware's published current limits on the simulated pack (a load or charger that obeys the BMS).</summary>
    public CompliantLimits Limits { get; }

    public double Duration_s { get; }

    /// <summary>Sample period, s.</summary>
    public double Dt_s { get; }

    /// <summary>1 C in amperes for the profile's nominal capacity.</summary>
    public double OneC_A => Pack.NominalCapacity_mAh / 1000.0;

    /// <summary>Tag written into the <c>event</c> column of the next sample (then cleared).</summary>
    public string? PendingEvent { get; set; }

    /// <summary>Notable moments (name → s), printed by the CLI, used to set expectation deadlines.</summary>
    public SortedDictionary<string, double> Marks { get; } = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="name"/> at <paramref name="t_s"/> once (the first time) and tags the trace.</summary>
    public void Mark(string name, double t_s, bool tag = false)
    {
        if (Marks.ContainsKey(name)) return;
        Marks[name] = Math.Round(t_s, 3);
        if (tag) PendingEvent = PendingEvent is null ? name : PendingEvent + ";" + name;
    }
}
