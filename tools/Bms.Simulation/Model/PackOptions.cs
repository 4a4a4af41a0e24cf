namespace Bms.Simulation.Model;

/// <summary>Everything that defines a simulated pack (SI units, double precision: host only).</summary>
public sealed class PackOptions
{
    /// <summary>Series cells.</summary>
    public int Cells { get; set; } = 6;

    /// <summary>Thermistors; placed evenly along the stack, each near one cell (see <see cref="PackModel.SensorCell"/>).</summary>
    public int Temps { get; set; } = 2;

    /// <summary>Chemistry profile name (<see cref="Bms.Firmware.Chemistry.ChemistryProfiles.FromName"/>).</summary>
    public string Chemistry { get; set; } = "nmc-graphite";

    /// <summary>Seed of every random draw (cell spread and measurement noise).</summary>
    public long Seed { get; set; } = 1;

    /// <summary>Mean initial state of charge of the cells, 0..1.</summary>
    public double InitialSoc { get; set; } = 0.5;

    /// <summary>Standard deviation of the initial cell SoC, in SoC units (0.005 = 0.5 %).</summary>
    public double InitialSocSpread { get; set; } = 0.004;

    /// <summary>Relative standard deviation of cell capacity.</summary>
    public double CapacitySpread { get; set; } = 0.01;

    /// <summary>Relative standard deviation of cell resistances (R0 and R1 together).</summary>
    public double ResistanceSpread { get; set; } = 0.04;

    /// <summary>Ambient (coolant / air) temperature at the start, °C.</summary>
    public double Ambient_C { get; set; } = 25.0;

    /// <summary>Heat capacity of one cell, J/K. Default: 15 J/K per Ah of the profile's capacity (an 18650 of 3 Ah ≈ 45 J/K).</summary>
    public double? HeatCapacity_J_per_K { get; set; }

    /// <summary>Thermal conductance between neighbouring cells, W/K.</summary>
    public double NeighbourConductance_W_per_K { get; set; } = 0.3;

    /// <summary>Thermal conductance of each cell to ambient (natural convection of an 18650 ≈ 0.03–0.05 W/K), W/K.</summary>
    public double AmbientConductance_W_per_K { get; set; } = 0.05;

    /// <summary>Thermistor response time constant, s (an NTC taped to a cell).</summary>
    public double SensorTimeConstant_s { get; set; } = 3.0;

    /// <summary>Cell voltage noise (σ, mV; clipped to ±2σ, so ±1 mV by default).</summary>
    public double CellNoise_mV { get; set; } = 0.5;

    /// <summary>Temperature noise (σ, °C; clipped to ±2σ, so ±0.1 °C by default).</summary>
    public double TemperatureNoise_C { get; set; } = 0.05;

    /// <summary>Current sensor noise (σ, mA).</summary>
    public double CurrentNoise_mA { get; set; } = 10.0;

    /// <summary>Current sensor offset, mA (+ = reads more charging than flows).</summary>
    public double CurrentOffset_mA { get; set; }

    /// <summary>Mean self-discharge current of a healthy cell, mA (≈ 2 % per month of a 3 Ah cell).</summary>
    public double SelfDischarge_mA { get; set; } = 0.08;

    /// <summary>Throws <see cref="ArgumentException"/> with the option name on nonsense.</summary>
    public void Validate()
    {
        if (Cells < 1 || Cells > 1024) throw new ArgumentException("--cells must be 1..1024 (got " + Cells + ")");
        if (Temps < 0 || Temps > Cells) throw new ArgumentException("--temps must be 0..cells (got " + Temps + " for " + Cells + " cells)");
        if (Bms.Firmware.Chemistry.ChemistryProfiles.FromName(Chemistry) is null)
            throw new ArgumentException("unknown chemistry '" + Chemistry + "' (known: nmc-graphite, lfp, lto, li-metal-ss)");
        if (InitialSoc < 0 || InitialSoc > 1) throw new ArgumentException("initial SoC must be 0..1 (got " + InitialSoc + ")");
        if (InitialSocSpread < 0 || CapacitySpread < 0 || ResistanceSpread < 0 || CapacitySpread > 0.3 || ResistanceSpread > 0.5)
            throw new ArgumentException("spreads must be >= 0 (capacity <= 30 %, resistance <= 50 %)");
        if (HeatCapacity_J_per_K is <= 0) throw new ArgumentException("heat capacity must be positive");
        if (NeighbourConductance_W_per_K < 0 || AmbientConductance_W_per_K < 0) throw new ArgumentException("conductances must be >= 0");
        if (SensorTimeConstant_s < 0) throw new ArgumentException("sensor time constant must be >= 0");
        if (CellNoise_mV < 0 || TemperatureNoise_C < 0 || CurrentNoise_mA < 0) throw new ArgumentException("noise must be >= 0");
    }
}
