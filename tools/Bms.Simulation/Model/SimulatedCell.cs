namespace Bms.Simulation.Model;

/// <summary>
/// One cell of the equivalent-circuit model: OCV(SoC, T) + R0 + R1||C1, charge, a lumped temperature, and the
/// faults a scenario can give it (internal leakage, self-heating, voltage collapse).
/// </summary>
public sealed class SimulatedCell
{
    internal SimulatedCell(int index, double capacity_As, double resistanceScale, double soc, double temperature_C, double selfDischarge_A)
    {
        Index = index;
        Capacity_As = capacity_As;
        ResistanceScale = resistanceScale;
        Charge_As = soc * capacity_As;
        Temperature_C = temperature_C;
        SelfDischarge_A = selfDischarge_A;
    }

    /// <summary>0-based position in the stack.</summary>
    public int Index { get; }

    /// <summary>Usable capacity, ampere-seconds.</summary>
    public double Capacity_As { get; }

    /// <summary>This cell's R0 and R1 relative to the profile.</summary>
    public double ResistanceScale { get; }

    /// <summary>Stored charge above empty (0 % of the OCV table), ampere-seconds; may leave 0..capacity when abused.</summary>
    public double Charge_As { get; set; }

    /// <summary>State of charge, 0..1 (beyond when over-charged or over-discharged).</summary>
    public double Soc => Charge_As / Capacity_As;

    /// <summary>Voltage across the polarisation branch R1||C1, V (+ while charging).</summary>
    public double Polarization_V { get; set; }

    /// <summary>Lumped cell temperature, °C.</summary>
    public double Temperature_C { get; set; }

    /// <summary>Healthy self-discharge, A.</summary>
    public double SelfDischarge_A { get; set; }

    /// <summary>Internal short / leakage current (drains charge, dissipates heat inside the cell), A.</summary>
    public double Leak_A { get; set; }

    /// <summary>Exothermic self-heating, when set (thermal runaway); null for a healthy cell.</summary>
    public SelfHeating? SelfHeating { get; set; }

    /// <summary>Terminal voltage multiplier: 1 healthy, falls towards 0 when the separator fails.</summary>
    public double VoltageFactor { get; set; } = 1.0;

    /// <summary>Terminal voltage from the last step, V.</summary>
    public double Terminal_V { get; internal set; }
}

/// <summary>
/// Accelerating exothermic heating of a cell in thermal runaway: P = P0 · exp((T − T0) / θ), capped, until the
/// reaction's energy is spent. Above <see cref="CollapseStart_C"/> the separator melts and the voltage collapses.
/// </summary>
public sealed class SelfHeating
{
    public double InitialPower_W { get; init; } = 1.0;
    public double ReferenceTemperature_C { get; init; } = 30.0;
    public double Theta_K { get; init; } = 6.0;
    public double MaxPower_W { get; init; } = 600.0;
    /// <summary>Total reaction energy, J (a few tens of kJ for an 18650).</summary>
    public double Energy_J { get; init; } = 25000.0;
    public double CollapseStart_C { get; init; } = 110.0;
    public double CollapseSpan_K { get; init; } = 50.0;

    /// <summary>Energy released so far, J.</summary>
    public double Released_J { get; set; }

    public double Power_W(double temperature_C)
    {
        if (Released_J >= Energy_J) return 0;
        double p = InitialPower_W * Math.Exp(Math.Min(50.0, (temperature_C - ReferenceTemperature_C) / Theta_K));
        return Math.Min(p, MaxPower_W);
    }
}
