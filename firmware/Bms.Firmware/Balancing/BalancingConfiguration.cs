using System;

namespace Bms.Firmware.Balancing
{
    /// <summary>What the balancer compares cells by.</summary>
    public enum BalancingMode
    {
        /// <summary>Off: never balance.</summary>
        Off = 0,
        /// <summary>Cell voltage above the lowest cell (top balancing near full charge).</summary>
        Voltage = 1,
        /// <summary>Cell state of charge above the lowest cell's (from the estimator).</summary>
        StateOfCharge = 2,
    }

    /// <summary>Passive-balancing thresholds. <see cref="CreateDefault"/> gives sound values for a chemistry window.</summary>
    public sealed class BalancingConfiguration
    {
        /// <summary>Comparison used.</summary>
        public BalancingMode Mode;
        /// <summary>Voltage mode: a cell this far above the lowest starts bleeding.</summary>
        public int StartDelta_mV;
        /// <summary>Voltage mode: a bleeding cell stops at this distance (hysteresis, below the start delta).</summary>
        public int StopDelta_mV;
        /// <summary>SoC mode: a cell this far above the lowest starts bleeding.</summary>
        public int StartDelta_pcm;
        /// <summary>SoC mode: a bleeding cell stops at this distance.</summary>
        public int StopDelta_pcm;
        /// <summary>No cell is bled below this voltage (deep-discharge guard).</summary>
        public int MinCellVoltage_mV;
        /// <summary>Balancing pauses while any valid temperature is at or above this.</summary>
        public int MaxTemperature_dC;
        /// <summary>Balancing resumes once every temperature is back below this.</summary>
        public int ResumeTemperature_dC;
        /// <summary>Current magnitude below which the pack is at rest.</summary>
        public int RestCurrent_mA;
        /// <summary>Allow balancing while charging (current above the rest threshold, positive).</summary>
        public bool AllowWhileCharging;

        /// <summary>Voltage-mode defaults: start 15 mV, stop 5 mV, pause at 50 °C, not below min + 20 % of the window.</summary>
        public static BalancingConfiguration CreateDefault(int minCellVoltage_mV, int maxCellVoltage_mV, int capacity_mAh)
        {
            if (maxCellVoltage_mV <= minCellVoltage_mV)
            {
                throw new ArgumentException("cell voltage window invalid");
            }
            var c = new BalancingConfiguration();
            c.Mode = BalancingMode.Voltage;
            c.StartDelta_mV = 15;
            c.StopDelta_mV = 5;
            c.StartDelta_pcm = 2000;
            c.StopDelta_pcm = 500;
            c.MinCellVoltage_mV = minCellVoltage_mV + (maxCellVoltage_mV - minCellVoltage_mV) / 5;
            c.MaxTemperature_dC = 500;
            c.ResumeTemperature_dC = 450;
            c.RestCurrent_mA = capacity_mAh / 50 > 50 ? capacity_mAh / 50 : 50;
            c.AllowWhileCharging = true;
            return c;
        }

        /// <summary>Null when usable, otherwise the reason.</summary>
        public string Validate()
        {
            if (StartDelta_mV <= 0 || StopDelta_mV < 0 || StopDelta_mV >= StartDelta_mV) return "balancing: need 0 <= StopDelta_mV < StartDelta_mV";
            if (StartDelta_pcm <= 0 || StopDelta_pcm < 0 || StopDelta_pcm >= StartDelta_pcm) return "balancing: need 0 <= StopDelta_pcm < StartDelta_pcm";
            if (ResumeTemperature_dC > MaxTemperature_dC) return "balancing: ResumeTemperature_dC must not exceed MaxTemperature_dC";
            if (RestCurrent_mA <= 0) return "balancing: RestCurrent_mA must be positive";
            return null;
        }
    }
}
