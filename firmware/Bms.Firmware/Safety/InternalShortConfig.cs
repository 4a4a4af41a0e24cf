using System;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Events;

namespace Bms.Firmware.Safety
{
    /// <summary>
    /// Settings of the <see cref="InternalShortDetector"/>. Defaults: a 3 Ah cell, leaks of 10 mA flagged within
    /// 2 hours of rest, 5 mA not flagged. Call <see cref="Validate"/> (the detector does).
    /// </summary>
    public sealed class InternalShortConfig
    {
        /// <summary>Nominal capacity of one cell (parallel group), converts voltage drift into current.</summary>
        public int CellCapacity_mAh = 3000;

        /// <summary>Leakage current that must be flagged.</summary>
        public int LeakThreshold_mA = 10;

        /// <summary>The estimate counts as a leak from this share (per cent) of <see cref="LeakThreshold_mA"/>,
        /// leaving margin for estimation error below the threshold while staying well above healthy spread.</summary>
        public int DecisionFraction_pct = 75;

        /// <summary>|current| at or below this is rest.</summary>
        public int RestCurrent_mA = 50;

        /// <summary>Voltage relaxation after load is ignored for this long after the current stops.</summary>
        public int RelaxationTime_ms = 30 * 60 * 1000;

        /// <summary>Fewest one-minute points in a fit before an estimate is made.</summary>
        public int MinFitWindow_min = 40;

        /// <summary>Longest fit window (sliding), in one-minute points.</summary>
        public int MaxFitWindow_min = 120;

        /// <summary>Consecutive one-minute estimates above the decision level before the flag is raised.</summary>
        public int ConfirmMinutes = 5;

        /// <summary>Below this OCV slope (e.g. an LFP plateau) voltage drift says too little about charge loss;
        /// screening pauses instead of guessing.</summary>
        public int MinOcvSlope_uV_per_pct = 1000;

        /// <summary>
        /// Soft (micro) shorts, typical of lithium-metal cells: a dendrite touches, the cell voltage dips against
        /// the pack by a few millivolts within seconds and recovers as the contact burns off. A dip at least this
        /// deep counts; 0 disables the check.
        /// </summary>
        public int MicroShortDrop_mV = 5;

        /// <summary>This many dips of one cell within <see cref="MicroShortWindow_ms"/> raise the InternalShort flag.</summary>
        public int MicroShortCount = 3;

        /// <summary>Window for counting dips.</summary>
        public int MicroShortWindow_ms = 60 * 60 * 1000;

        /// <summary>Dips are looked for from this long after the current stops (the fast relaxation is over).</summary>
        public int MicroShortRestDelay_ms = 2 * 60 * 1000;

        /// <summary>Level of the InternalShort event.</summary>
        public ProtectionLevel Level = ProtectionLevel.Warning;

        /// <summary>
        /// Defaults for a chemistry profile's cell: its capacity, and the leak threshold kept at the same
        /// C-rate as the default (10 mA on 3 Ah, C/300), so a 20 Ah cell is screened for 67 mA.
        /// </summary>
        public static InternalShortConfig FromProfile(ChemistryProfile profile)
        {
            if (profile == null)
            {
                throw new ArgumentNullException("profile");
            }
            var config = new InternalShortConfig();
            config.CellCapacity_mAh = profile.NominalCapacity_mAh;
            int threshold = (int)((long)profile.NominalCapacity_mAh * 10 / 3000);
            config.LeakThreshold_mA = threshold < 1 ? 1 : threshold;
            return config;
        }

        /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
        public void Validate()
        {
            Require(CellCapacity_mAh > 0 && CellCapacity_mAh <= 10000000, "CellCapacity_mAh must be 1..10000000");
            Require(LeakThreshold_mA > 0, "LeakThreshold_mA must be > 0");
            Require(DecisionFraction_pct > 0 && DecisionFraction_pct <= 100, "DecisionFraction_pct must be 1..100");
            Require(RestCurrent_mA >= 0, "RestCurrent_mA must be >= 0");
            Require(RelaxationTime_ms >= 0, "RelaxationTime_ms must be >= 0");
            Require(MinFitWindow_min >= 3, "MinFitWindow_min must be >= 3");
            Require(MaxFitWindow_min >= MinFitWindow_min && MaxFitWindow_min <= 600, "MaxFitWindow_min must be MinFitWindow_min..600");
            Require(ConfirmMinutes >= 1, "ConfirmMinutes must be >= 1");
            Require(MinOcvSlope_uV_per_pct > 0, "MinOcvSlope_uV_per_pct must be > 0");
            Require(MicroShortDrop_mV >= 0 && MicroShortDrop_mV <= 1000, "MicroShortDrop_mV must be 0..1000");
            Require(MicroShortCount >= 1 && MicroShortCount <= 100, "MicroShortCount must be 1..100");
            Require(MicroShortWindow_ms > 0 && MicroShortRestDelay_ms >= 0, "MicroShortWindow_ms must be > 0, MicroShortRestDelay_ms >= 0");
        }

        private static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentException("InternalShortConfig: " + message);
            }
        }
    }
}
