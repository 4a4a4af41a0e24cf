namespace Bms.Firmware.Chemistry
{
    /// <summary>
    /// The built-in chemistry profiles. NMC/graphite is measured (see <see cref="NmcGraphiteTables"/>); the others
    /// are representative values from published sources named at each profile. Verify them against the data sheet
    /// of the cell actually used before a pack is built with them.
    /// </summary>
    public static class ChemistryProfiles
    {
        /// <summary>Profile names accepted by <see cref="FromName"/>.</summary>
        public const string NmcGraphiteName = "nmc-graphite";
        public const string LfpName = "lfp";
        public const string LtoName = "lto";
        public const string LithiumMetalSolidStateName = "li-metal-ss";

        private static ChemistryProfile _nmc, _lfp, _lto, _liMetal;

        /// <summary>The profile with this name, or null if unknown.</summary>
        public static ChemistryProfile FromName(string name)
        {
            if (name == null) return null;
            if (name == NmcGraphiteName) return NmcGraphite;
            if (name == LfpName) return Lfp;
            if (name == LtoName) return Lto;
            if (name == LithiumMetalSolidStateName) return LithiumMetalSolidState;
            return null;
        }

        /// <summary>
        /// NMC/graphite, measured on Samsung INR18650-30Q (tables generated from the ARTS-Lab recordings).
        /// Envelope from the Samsung SDI INR18650-30Q specification: 4.20 V ± 0.05 V charge, 2.50 V discharge cut-off (2.0 V over-discharge),
        /// charge 0..50 °C, discharge −20..75 °C, 4 A max charge, 15 A max continuous discharge (3 Ah nominal).
        /// </summary>
        public static ChemistryProfile NmcGraphite
        {
            get
            {
                if (_nmc == null)
                {
                    var envelope = new SafeOperatingEnvelope
                    {
                        // 4.20 V is the charge voltage and 2.50 V the cut-off at rated current, not the limits of
                        // safe operation: the hard envelope sits at the specification's 4.20 V ± 0.05 V tolerance and
                        // at 2.0 V (over-discharge), so a normal CC-CV charge and a loaded discharge to the cut-off
                        // (2.3 V under a 2C pulse at 20 °C in the ARTS-Lab HPPC data) stay out of alarm.
                        MaxCellVoltage_mV = 4250,
                        MinCellVoltage_mV = 2000,
                        MaxChargeTemperature_dC = 500,
                        MinChargeTemperature_dC = 0,
                        MaxDischargeTemperature_dC = 750,
                        MinDischargeTemperature_dC = -200,
                        MaxChargeCurrent_mC = 1333,
                        MaxDischargeCurrent_mC = 5000,
                    };
                    _nmc = new ChemistryProfile(NmcGraphiteName, NmcGraphiteTables.MeasuredCapacity_mAh, 3600, envelope,
                        4200, 33, 2500,
                        NmcGraphiteTables.Ocv_mV, NmcGraphiteTables.OcvStep_pcm, 0,
                        NmcGraphiteTables.TemperatureAxis_dC, NmcGraphiteTables.ResistanceStep_pcm,
                        NmcGraphiteTables.R0_uOhm, NmcGraphiteTables.R1_uOhm, NmcGraphiteTables.Tau1_ms);
                }
                return _nmc;
            }
        }

        /// <summary>
        /// LFP/graphite, representative of a 2.5 Ah 26650 power cell (A123 ANR26650M1-B class).
        /// Envelope from the A123 ANR26650M1-B data sheet: 3.6 V charge (3.65 V hard), 2.0 V cut-off, charge
        /// 0..45 °C, discharge −30..55 °C, 10 A (4C) fast charge, 50 A continuous discharge.
        /// OCV: the flat two-plateau LFP curve as published for this cell class (e.g. G. L. Plett, Battery
        /// Management Systems Vol. I, Artech House 2015, ch. 2; A123 data sheet curves), 5 % steps, 25 °C; the
        /// plateau is kept strictly rising by 1–3 mV steps. R0 ≈ 8 mΩ (1 s DC, data sheet gives 6 mΩ at 1 kHz),
        /// R1 ≈ 4 mΩ, τ1 ≈ 40 s; resistances at 0 °C ≈ 2.5× those at 25 °C (typical published HPPC figures).
        /// </summary>
        public static ChemistryProfile Lfp
        {
            get
            {
                if (_lfp == null)
                {
                    var envelope = new SafeOperatingEnvelope
                    {
                        MaxCellVoltage_mV = 3650,
                        MinCellVoltage_mV = 2000,
                        MaxChargeTemperature_dC = 450,
                        MinChargeTemperature_dC = 0,
                        MaxDischargeTemperature_dC = 550,
                        MinDischargeTemperature_dC = -300,
                        MaxChargeCurrent_mC = 4000,
                        MaxDischargeCurrent_mC = 20000,
                    };
                    int[] ocv =
                    {
                        2500, 3050, 3190, 3230, 3255, 3270, 3285, 3292, 3297, 3300, 3303,
                        3306, 3310, 3318, 3328, 3331, 3333, 3335, 3338, 3345, 3420,
                    };
                    int[] temps = { 0, 250, 450 };
                    int[] r0 = Expand(new[] { 26000, 21000, 20000, 20000, 20000, 21000 }, new[] { 10000, 8500, 8000, 8000, 8000, 8500 }, new[] { 7000, 6000, 6000, 6000, 6000, 6500 });
                    int[] r1 = Expand(new[] { 16000, 10000, 9000, 9000, 9000, 11000 }, new[] { 6000, 4000, 3500, 3500, 3500, 4500 }, new[] { 4500, 3000, 2500, 2500, 2500, 3500 });
                    int[] tau = Expand(new[] { 60000, 50000, 50000, 50000, 50000, 50000 }, new[] { 40000, 40000, 40000, 40000, 40000, 40000 }, new[] { 35000, 35000, 35000, 35000, 35000, 35000 });
                    _lfp = new ChemistryProfile(LfpName, 2500, 3300, envelope, 3600, 50, 2000,
                        ocv, 5000, 0, temps, 20000, r0, r1, tau);
                }
                return _lfp;
            }
        }

        /// <summary>
        /// LTO (NMC/lithium titanate), representative of the Toshiba SCiB 20 Ah cell: 2.7 V max, 1.5 V min,
        /// 2.3 V nominal, −30..55 °C for charge and discharge, 8C continuous (Toshiba SCiB product data).
        /// OCV shape: the sloped NMC-vs-LTO curve (1.8 V empty at rest to 2.6 V full) as published for SCiB-type
        /// cells; R0 ≈ 1.5 mΩ DC (data sheet ≈ 0.7 mΩ at 1 kHz), R1 ≈ 0.7 mΩ, τ1 ≈ 30 s; modest rise in the cold
        /// (LTO does not plate lithium, one reason for its wide charge window).
        /// </summary>
        public static ChemistryProfile Lto
        {
            get
            {
                if (_lto == null)
                {
                    var envelope = new SafeOperatingEnvelope
                    {
                        MaxCellVoltage_mV = 2700,
                        MinCellVoltage_mV = 1500,
                        MaxChargeTemperature_dC = 550,
                        MinChargeTemperature_dC = -300,
                        MaxDischargeTemperature_dC = 550,
                        MinDischargeTemperature_dC = -300,
                        MaxChargeCurrent_mC = 8000,
                        MaxDischargeCurrent_mC = 8000,
                    };
                    int[] ocv =
                    {
                        1800, 2050, 2120, 2160, 2190, 2210, 2230, 2245, 2260, 2275, 2290,
                        2305, 2320, 2335, 2350, 2370, 2390, 2415, 2445, 2490, 2600,
                    };
                    int[] temps = { -200, 250, 450 };
                    int[] r0 = Expand(new[] { 4500, 3800, 3600, 3600, 3600, 3900 }, new[] { 1800, 1550, 1500, 1500, 1500, 1600 }, new[] { 1400, 1250, 1200, 1200, 1200, 1300 });
                    int[] r1 = Expand(new[] { 2500, 2000, 1800, 1800, 1800, 2000 }, new[] { 900, 700, 700, 700, 700, 800 }, new[] { 700, 550, 550, 550, 550, 600 });
                    int[] tau = Expand(new[] { 40000, 40000, 40000, 40000, 40000, 40000 }, new[] { 30000, 30000, 30000, 30000, 30000, 30000 }, new[] { 25000, 25000, 25000, 25000, 25000, 25000 });
                    _lto = new ChemistryProfile(LtoName, 20000, 2300, envelope, 2700, 50, 1500,
                        ocv, 5000, 0, temps, 20000, r0, r1, tau);
                }
                return _lto;
            }
        }

        /// <summary>
        /// Lithium-metal solid-state: NMC cathode against a lithium-metal anode with a ceramic/solid electrolyte,
        /// a 5 Ah pouch. There is no public full data sheet; the figures are representative:
        /// the OCV is that of an NMC811 cathode versus lithium (half-cell curves published e.g. by R. Jung et al.,
        /// J. Electrochem. Soc. 164 (2017) A1361: ≈3.4 V empty to 4.25 V at 4.3 V charge), 3.0–4.3 V window
        /// (the lithium anode adds ≈0.1 V over graphite). Charging only from 10 °C (lithium-metal plating and
        /// dendrite risk; solid-electrolyte conductivity falls steeply in the cold; an assumption of this project,
        /// not a maker's figure), discharge −10..60 °C, 1C charge, 3C discharge.
        /// Resistance ≈10 mΩ at 25 °C rising ≈4× at 0 °C (solid-electrolyte activation energy is higher than
        /// that of liquid electrolytes).
        /// </summary>
        public static ChemistryProfile LithiumMetalSolidState
        {
            get
            {
                if (_liMetal == null)
                {
                    var envelope = new SafeOperatingEnvelope
                    {
                        MaxCellVoltage_mV = 4300,
                        MinCellVoltage_mV = 3000,
                        MaxChargeTemperature_dC = 600,
                        MinChargeTemperature_dC = 100,
                        MaxDischargeTemperature_dC = 600,
                        MinDischargeTemperature_dC = -100,
                        MaxChargeCurrent_mC = 1000,
                        MaxDischargeCurrent_mC = 3000,
                    };
                    int[] ocv =
                    {
                        3400, 3550, 3620, 3660, 3690, 3715, 3740, 3765, 3790, 3815, 3845,
                        3875, 3905, 3940, 3975, 4010, 4045, 4085, 4125, 4170, 4250,
                    };
                    int[] temps = { 0, 250, 450 };
                    int[] r0 = Expand(new[] { 48000, 42000, 40000, 40000, 40000, 44000 }, new[] { 12000, 10500, 10000, 10000, 10000, 11000 }, new[] { 7000, 6200, 6000, 6000, 6000, 6600 });
                    int[] r1 = Expand(new[] { 40000, 30000, 28000, 28000, 28000, 32000 }, new[] { 12000, 9000, 8000, 8000, 8000, 9500 }, new[] { 7000, 5500, 5000, 5000, 5000, 6000 });
                    int[] tau = Expand(new[] { 80000, 80000, 80000, 80000, 80000, 80000 }, new[] { 60000, 60000, 60000, 60000, 60000, 60000 }, new[] { 50000, 50000, 50000, 50000, 50000, 50000 });
                    _liMetal = new ChemistryProfile(LithiumMetalSolidStateName, 5000, 3800, envelope, 4300, 50, 3000,
                        ocv, 5000, 0, temps, 20000, r0, r1, tau);
                }
                return _liMetal;
            }
        }

        // Concatenates temperature rows (each with 6 SoC columns: 0, 20, ..., 100 %).
        private static int[] Expand(int[] row0, int[] row1, int[] row2)
        {
            var all = new int[row0.Length + row1.Length + row2.Length];
            for (int k = 0; k < row0.Length; k++) all[k] = row0[k];
            for (int k = 0; k < row1.Length; k++) all[row0.Length + k] = row1[k];
            for (int k = 0; k < row2.Length; k++) all[row0.Length + row1.Length + k] = row2[k];
            return all;
        }
    }
}
