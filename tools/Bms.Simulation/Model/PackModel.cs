using Bms.Firmware.Chemistry;

namespace Bms.Simulation.Model;

/// <summary>
/// Series pack of equivalent-circuit cells with a lumped thermal network and thermistors. Per cell: OCV(SoC, T)
/// from the chemistry profile's table (interpolated in double precision), R0 and R1||C1 from the profile (scaled
/// by the cell's drawn resistance spread), its own capacity; heat from I²R0, the polarisation branch, leakage and
/// self-heating; conduction to the neighbours and to ambient. Deterministic for a seed.
/// </summary>
public sealed class PackModel
{
    /// <summary>Longest internal integration step, s.</summary>
    public const double MaxStep_s = 0.05;

    private readonly double[] _heat_W;
    private readonly double[] _sensor_C;
    private readonly double _ocvShiftBase_mV;

    public PackModel(PackOptions options)
    {
        options.Validate();
        Options = options;
        Profile = ChemistryProfiles.FromName(options.Chemistry)!;
        Random = new DeterministicRandom(options.Seed);
        NominalCapacity_mAh = Profile.NominalCapacity_mAh;
        HeatCapacity_J_per_K = options.HeatCapacity_J_per_K ?? 15.0 * NominalCapacity_mAh / 1000.0;
        Ambient_C = options.Ambient_C;
        AmbientConductance_W_per_K = options.AmbientConductance_W_per_K;
        _ocvShiftBase_mV = Profile.OcvFromSoc_mV(50000, 250);

        Cells = new SimulatedCell[options.Cells];
        for (int c = 0; c < options.Cells; c++)
        {
            // Draw order is fixed (capacity, resistance, SoC, self-discharge per cell) so a seed means one pack.
            double capacity = NominalCapacity_mAh * 3.6 * (1 + Random.Gaussian(options.CapacitySpread));
            double resistance = 1 + Random.Gaussian(options.ResistanceSpread);
            double soc = Math.Clamp(options.InitialSoc + Random.Gaussian(options.InitialSocSpread), 0, 1);
            double selfDischarge = Math.Max(0, options.SelfDischarge_mA * (1 + Random.Gaussian(0.3))) / 1000.0;
            Cells[c] = new SimulatedCell(c, capacity, resistance, soc, options.Ambient_C, selfDischarge);
        }
        _heat_W = new double[options.Cells];
        SensorCell = new int[options.Temps];
        _sensor_C = new double[options.Temps];
        for (int s = 0; s < options.Temps; s++)
        {
            SensorCell[s] = (int)((s + 0.5) * options.Cells / options.Temps);
            _sensor_C[s] = options.Ambient_C;
        }
        foreach (var cell in Cells) cell.Terminal_V = Terminal_V(cell, 0);
    }

    public PackOptions Options { get; }
    public ChemistryProfile Profile { get; }
    public DeterministicRandom Random { get; }
    public int NominalCapacity_mAh { get; }
    public double HeatCapacity_J_per_K { get; }
    public SimulatedCell[] Cells { get; }

    /// <summary>The cell each thermistor is taped to (0-based); it also sees a little of that cell's neighbours.</summary>
    public int[] SensorCell { get; }

    /// <summary>Ambient temperature, °C (scenarios change it).</summary>
    public double Ambient_C { get; set; }

    /// <summary>Thermal conductance of each cell to ambient, W/K (scenarios change it: cooling failure).</summary>
    public double AmbientConductance_W_per_K { get; set; }

    /// <summary>Pack current of the last step, A (+ = charging).</summary>
    public double Current_A { get; private set; }

    /// <summary>Simulated time, s.</summary>
    public double Time_s { get; private set; }

    /// <summary>What thermistor <paramref name="sensor"/> physically sees, °C (before noise and faults).</summary>
    public double SensorTemperature_C(int sensor) => _sensor_C[sensor];

    /// <summary>
    /// Pack state of charge as the firmware defines it (StateEstimator.PackSoc_pcm): 0 when the emptiest cell is
    /// empty, 1 when the fullest cell is full: minSoC / (minSoC + (1 − maxSoC)), cell SoC clamped to 0..1.
    /// </summary>
    public double PackSoc
    {
        get
        {
            double min = 1, max = 0;
            foreach (var cell in Cells)
            {
                double s = Math.Clamp(cell.Soc, 0, 1);
                min = Math.Min(min, s);
                max = Math.Max(max, s);
            }
            double denominator = min + (1 - max);
            if (denominator <= 0) return min >= 1 ? 1 : 0;
            return min / denominator;
        }
    }

    /// <summary>Open-circuit voltage of the profile at a SoC (0..1, extrapolated steeply beyond) and temperature, V.</summary>
    public double Ocv_V(double soc, double temperature_C)
    {
        int points = Profile.OcvPointCount;
        double step = Profile.OcvStep_pcm / 100000.0;
        double mV;
        if (soc <= 0)
        {
            double slope = (Profile.OcvPoint_mV(1) - Profile.OcvPoint_mV(0)) / step;
            mV = Profile.OcvPoint_mV(0) + 2 * slope * soc; // below empty the voltage dives
        }
        else if (soc >= 1)
        {
            double slope = (Profile.OcvPoint_mV(points - 1) - Profile.OcvPoint_mV(points - 2)) / step;
            mV = Profile.OcvPoint_mV(points - 1) + Math.Max(slope, 1000.0) * 1.5 * (soc - 1); // over-charge: steep rise
        }
        else
        {
            double x = soc / step;
            int k = Math.Min((int)x, points - 2);
            double frac = x - k;
            mV = Profile.OcvPoint_mV(k) + (Profile.OcvPoint_mV(k + 1) - Profile.OcvPoint_mV(k)) * frac;
        }
        int t_dC = (int)Math.Round(temperature_C * 10);
        mV += Profile.OcvFromSoc_mV(50000, t_dC) - _ocvShiftBase_mV;
        return mV / 1000.0;
    }

    public double R0_Ohm(SimulatedCell cell) => Profile.SeriesResistance_uOhm(SocPcm(cell), TempDc(cell)) * 1e-6 * cell.ResistanceScale;
    public double R1_Ohm(SimulatedCell cell) => Profile.PolarizationResistance_uOhm(SocPcm(cell), TempDc(cell)) * 1e-6 * cell.ResistanceScale;
    public double Tau1_s(SimulatedCell cell) => Profile.PolarizationTimeConstant_ms(SocPcm(cell), TempDc(cell)) / 1000.0;

    private static int SocPcm(SimulatedCell cell) => (int)Math.Clamp(Math.Round(cell.Soc * 100000), 0, 100000);
    private static int TempDc(SimulatedCell cell) => (int)Math.Clamp(Math.Round(cell.Temperature_C * 10), -1000, 3000);

    /// <summary>Terminal voltage this cell would show at <paramref name="current_A"/> right now (polarisation as it is).</summary>
    public double Terminal_V(SimulatedCell cell, double current_A) =>
        (Ocv_V(cell.Soc, cell.Temperature_C) + current_A * R0_Ohm(cell) + cell.Polarization_V) * cell.VoltageFactor;

    /// <summary>Advances the pack by <paramref name="duration_s"/> at a constant pack current (+ = charging).</summary>
    public void Step(double current_A, double duration_s)
    {
        if (duration_s <= 0) return;
        int substeps = Math.Max(1, (int)Math.Ceiling(duration_s / MaxStep_s - 1e-9));
        double h = duration_s / substeps;
        Current_A = current_A;
        for (int k = 0; k < substeps; k++) Substep(current_A, h);
        Time_s += duration_s;
        foreach (var cell in Cells) cell.Terminal_V = Terminal_V(cell, current_A);
    }

    private void Substep(double current_A, double h)
    {
        int n = Cells.Length;
        for (int c = 0; c < n; c++)
        {
            var cell = Cells[c];
            double r0 = R0_Ohm(cell), r1 = R1_Ohm(cell), tau = Tau1_s(cell);
            double ocv = Ocv_V(cell.Soc, cell.Temperature_C);
            double decay = Math.Exp(-h / tau);
            cell.Polarization_V = cell.Polarization_V * decay + current_A * r1 * (1 - decay);
            double heat = current_A * current_A * r0
                          + (r1 > 0 ? cell.Polarization_V * cell.Polarization_V / r1 : 0)
                          + cell.Leak_A * Math.Max(0, ocv);
            if (cell.SelfHeating is SelfHeating sh)
            {
                double p = sh.Power_W(cell.Temperature_C);
                sh.Released_J += p * h;
                heat += p;
                double over = cell.Temperature_C - sh.CollapseStart_C;
                if (over > 0) cell.VoltageFactor = Math.Max(0.02, Math.Min(cell.VoltageFactor, 1 - over / sh.CollapseSpan_K));
            }
            _heat_W[c] = heat;
            cell.Charge_As += (current_A - cell.Leak_A - cell.SelfDischarge_A) * h;
        }
        double g = Options.NeighbourConductance_W_per_K, ga = AmbientConductance_W_per_K;
        // Explicit Euler on the thermal network: stable because h·G/C ≪ 1 (0.05 s · 0.7 W/K / 45 J/K).
        for (int c = 0; c < n; c++)
        {
            double t = Cells[c].Temperature_C;
            double flow = ga * (Ambient_C - t);
            if (c > 0) flow += g * (Cells[c - 1].Temperature_C - t);
            if (c < n - 1) flow += g * (Cells[c + 1].Temperature_C - t);
            _heat_W[c] += flow;
        }
        for (int c = 0; c < n; c++) Cells[c].Temperature_C += h * _heat_W[c] / HeatCapacity_J_per_K;

        double sensorDecay = Options.SensorTimeConstant_s > 0 ? Math.Exp(-h / Options.SensorTimeConstant_s) : 0;
        for (int s = 0; s < _sensor_C.Length; s++)
        {
            int c = SensorCell[s];
            double left = c > 0 ? Cells[c - 1].Temperature_C : Cells[c].Temperature_C;
            double right = c < n - 1 ? Cells[c + 1].Temperature_C : Cells[c].Temperature_C;
            // Taped to its cell, it also picks up a little of the neighbours and the air around.
            double seen = 0.8 * Cells[c].Temperature_C + 0.07 * left + 0.07 * right + 0.06 * Ambient_C;
            _sensor_C[s] = _sensor_C[s] * sensorDecay + seen * (1 - sensorDecay);
        }
    }

    /// <summary>Lets every cell and sensor start at the ambient temperature (no history).</summary>
    public void SetAllTemperatures(double temperature_C)
    {
        foreach (var cell in Cells) cell.Temperature_C = temperature_C;
        for (int s = 0; s < _sensor_C.Length; s++) _sensor_C[s] = temperature_C;
    }
}
