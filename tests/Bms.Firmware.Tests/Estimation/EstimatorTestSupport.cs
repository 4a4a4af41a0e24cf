using Bms.Firmware.Chemistry;
using Bms.Traces;

namespace Bms.Firmware.Tests.Estimation;

/// <summary>
/// A first-order equivalent-circuit cell in double precision, driven by a current profile, producing a trace with
/// the true SoC. Capacity and R0 can be scaled to emulate an aged cell with known fade and resistance growth.
/// </summary>
internal sealed class SimulatedCell
{
    private readonly ChemistryProfile _profile;
    private readonly double _capacity_As;
    private readonly double _r0Factor;
    private double _soc;
    private double _v1;

    public SimulatedCell(ChemistryProfile profile, int capacity_mAh, double capacityFactor, double r0Factor, double soc)
    {
        _profile = profile;
        _capacity_As = capacity_mAh * 3.6 * capacityFactor;
        _r0Factor = r0Factor;
        _soc = soc;
    }

    public double Soc => _soc;

    /// <summary>Advances by <paramref name="dt_s"/> at <paramref name="current_A"/> (positive = charging); returns the terminal voltage.</summary>
    public double Step(double current_A, double dt_s, int temperature_dC)
    {
        _soc += current_A * dt_s / _capacity_As;
        int socPcm = (int)Math.Clamp(_soc * 100000, 0, 100000);
        double r1 = _profile.PolarizationResistance_uOhm(socPcm, temperature_dC) * 1e-6;
        double tau = _profile.PolarizationTimeConstant_ms(socPcm, temperature_dC) / 1000.0;
        _v1 = _v1 * Math.Exp(-dt_s / tau) + r1 * current_A * (1 - Math.Exp(-dt_s / tau));
        double r0 = _profile.SeriesResistance_uOhm(socPcm, temperature_dC) * 1e-6 * _r0Factor;
        double ocv = Ocv(_soc, temperature_dC);
        return ocv + _v1 + r0 * current_A;
    }

    private double Ocv(double soc, int temperature_dC)
    {
        // Linear interpolation of the integer table at full resolution (no pcm rounding).
        double pcm = Math.Clamp(soc * 100000, 0, 100000);
        int lo = (int)Math.Floor(pcm);
        double f = pcm - lo;
        int a = _profile.OcvFromSoc_mV(lo, temperature_dC), b = _profile.OcvFromSoc_mV(Math.Min(100000, lo + 1), temperature_dC);
        return (a + f * (b - a)) / 1000.0;
    }

    /// <summary>
    /// A cycling profile with long rests (calibration points) and current steps: from <paramref name="startSoc"/>,
    /// discharge in 20 % steps at 0.5C with 40 min rests and 1C pulses, down to ~10 %, then charge back.
    /// </summary>
    public static Trace CyclingTrace(ChemistryProfile profile, int capacity_mAh, double capacityFactor, double r0Factor, int temperature_dC = 250)
    {
        var cell = new SimulatedCell(profile, capacity_mAh, capacityFactor, r0Factor, 0.95);
        var trace = new Trace(1, 1) { Capacity_mAh = capacity_mAh, Chemistry = profile.Name, Name = "simulated" };
        double oneC = capacity_mAh / 1000.0 * capacityFactor;
        long t = 0;
        void Run(double current, int seconds)
        {
            for (int s = 0; s < seconds; s++)
            {
                double v = cell.Step(current, 1.0, temperature_dC);
                var sample = new TraceSample(1, 1) { Time_ms = t, Current_mA = (int)Math.Round(current * 1000), SocRef_pcm = (int)Math.Round(cell.Soc * 100000) };
                sample.Cell_mV[0] = (int)Math.Round(v * 1000);
                sample.Temp_dC[0] = temperature_dC;
                trace.Samples.Add(sample);
                t += 1000;
            }
        }
        Run(0, 2400);
        for (int step = 0; step < 4; step++)
        {
            Run(-oneC, 10); Run(0, 60); Run(oneC * 0.5, 10); Run(0, 60); // pulses for the resistance estimate
            Run(-0.5 * oneC, (int)(0.2 * 3600 / 0.5)); // 20 % at 0.5C
            Run(0, 2400);
        }
        for (int step = 0; step < 4; step++)
        {
            Run(0.5 * oneC, (int)(0.2 * 3600 / 0.5));
            Run(0, 2400);
        }
        return trace;
    }
}
