using System;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>
    /// A simple physical model of a series pack for internal-short tests: per cell an open-circuit voltage
    /// curve of state of charge, an entropic temperature term, series resistance and three RC polarisation
    /// branches (60 s, 20 min, 1 h), a capacity, and an optional leak current. Cells differ by ±2 % capacity,
    /// ±1 % initial state of charge, ±10 % resistances and ±20 % temperature coefficient. Sampled to integer mV
    /// with ±1 mV noise, 1 s steps.
    /// </summary>
    public sealed class RestingPackModel
    {
        private readonly double[] _capacity_mAh;
        private readonly double[] _soc;
        private readonly double[] _r0_mOhm;
        private readonly double[,] _rc_mOhm;
        private readonly double[,] _vrc_mV;
        private readonly double[] _dOcvdT_mV_per_K;
        private static readonly double[] Tau_s = { 60, 1200, 3600 };
        private readonly Random _random;

        private readonly ChemistryProfile? _profile;

        public RestingPackModel(int cells, int seed, double nominal_mAh = 3000, double initialSoc = 0.80, ChemistryProfile? profile = null)
        {
            _profile = profile;
            Cells = cells;
            _random = new Random(seed);
            _capacity_mAh = new double[cells];
            _soc = new double[cells];
            _r0_mOhm = new double[cells];
            _rc_mOhm = new double[cells, 3];
            _vrc_mV = new double[cells, 3];
            _dOcvdT_mV_per_K = new double[cells];
            Leak_mA = new double[cells];
            Offset_mV = new double[cells];
            // Resistances of a 3 Ah cell, scaled inversely with capacity (a bigger cell has proportionally lower
            // resistance, so the same C-rate gives the same polarisation in mV).
            double scale = 3000 / nominal_mAh;
            double[] rcNominal = { 15 * scale, 10 * scale, 3 * scale };
            for (int i = 0; i < cells; i++)
            {
                _capacity_mAh[i] = nominal_mAh * (1 + 0.02 * Uniform());
                _soc[i] = initialSoc + 0.01 * Uniform();
                _r0_mOhm[i] = 20 * scale * (1 + 0.1 * Uniform());
                for (int k = 0; k < 3; k++) { _rc_mOhm[i, k] = rcNominal[k] * (1 + 0.1 * Uniform()); }
                _dOcvdT_mV_per_K[i] = 0.1 * (1 + 0.2 * Uniform());
            }
            Snapshot = new MeasurementSnapshot(cells, 1);
            Temperature_C = 25;
        }

        public int Cells { get; }
        public double[] Leak_mA { get; }
        /// <summary>Extra terminal-voltage offset a test sets per step (e.g. a soft-short dip).</summary>
        public double[] Offset_mV { get; }
        public MeasurementSnapshot Snapshot { get; }
        public double Temperature_C { get; set; }
        public long Time_ms { get; private set; }

        /// <summary>Smooth NMC-like curve: 3.35 V empty, 4.2 V full, 9 mV/% around 30 %.</summary>
        public static double Ocv_mV(double soc) => 3350 + 850 * soc - 250 * soc * (1 - soc) * (1 - 2 * soc);

        /// <summary>dOCV/dSoC in µV per per cent (what a chemistry profile reports).</summary>
        public static int OcvSlope_uV_per_pct(double soc) => (int)Math.Round((850 - 250 * (1 - 6 * soc + 6 * soc * soc)) * 10);

        public double MeanSoc
        {
            get
            {
                double sum = 0;
                for (int i = 0; i < Cells; i++) { sum += _soc[i]; }
                return sum / Cells;
            }
        }

        /// <summary>Advances one second at <paramref name="current_mA"/> and fills the snapshot.</summary>
        public void Step(double current_mA)
        {
            const double dt = 1.0;
            Time_ms += 1000;
            for (int i = 0; i < Cells; i++)
            {
                _soc[i] += (current_mA - Leak_mA[i]) * dt / 3600.0 / _capacity_mAh[i];
                double v = Offset_mV[i] + CellOcv_mV(_soc[i]) + _dOcvdT_mV_per_K[i] * (Temperature_C - 25) + current_mA * _r0_mOhm[i] / 1000.0;
                for (int k = 0; k < 3; k++)
                {
                    double decay = Math.Exp(-dt / Tau_s[k]);
                    _vrc_mV[i, k] = _vrc_mV[i, k] * decay + current_mA * _rc_mOhm[i, k] / 1000.0 * (1 - decay);
                    v += _vrc_mV[i, k];
                }
                Snapshot.CellVoltage_mV[i] = (int)Math.Round(v) + _random.Next(-1, 2);
                Snapshot.CellValid[i] = true;
            }
            Snapshot.Time_ms = Time_ms;
            Snapshot.Temperature_dC[0] = (int)Math.Round(Temperature_C * 10);
            Snapshot.TemperatureValid[0] = true;
            Snapshot.Current_mA = (int)Math.Round(current_mA);
            Snapshot.CurrentValid = true;
        }

        /// <summary>The profile's OCV table (linear between its points, no rounding) or the built-in curve.</summary>
        private double CellOcv_mV(double soc)
        {
            if (_profile == null) { return Ocv_mV(soc); }
            double position = Math.Clamp(soc * 100000 / _profile.OcvStep_pcm, 0, _profile.OcvPointCount - 1.000001);
            int k = (int)position;
            return _profile.OcvPoint_mV(k) + (position - k) * (_profile.OcvPoint_mV(k + 1) - _profile.OcvPoint_mV(k));
        }

        private double Uniform() => 2 * _random.NextDouble() - 1;
    }
}
