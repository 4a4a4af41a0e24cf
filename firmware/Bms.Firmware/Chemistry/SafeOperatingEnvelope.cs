namespace Bms.Firmware.Chemistry
{
    /// <summary>
    /// The hard limits of a chemistry (datasheet absolute values). Protection thresholds are configured
    /// inside this envelope and can never be set outside it; the fault level sits at or inside these values.
    /// </summary>
    public sealed class SafeOperatingEnvelope
    {
        /// <summary>Highest permissible cell voltage.</summary>
        public int MaxCellVoltage_mV;
        /// <summary>Lowest permissible cell voltage.</summary>
        public int MinCellVoltage_mV;
        /// <summary>Highest cell temperature while charging.</summary>
        public int MaxChargeTemperature_dC;
        /// <summary>Lowest cell temperature while charging.</summary>
        public int MinChargeTemperature_dC;
        /// <summary>Highest cell temperature while discharging (also the maximum operating temperature
        /// of GB 38031-2025 C.5.3.7 (b)).</summary>
        public int MaxDischargeTemperature_dC;
        /// <summary>Lowest cell temperature while discharging.</summary>
        public int MinDischargeTemperature_dC;
        /// <summary>Highest continuous charge current in milli-C (1000 = 1C of the nominal capacity).</summary>
        public int MaxChargeCurrent_mC;
        /// <summary>Highest continuous discharge current in milli-C (positive number).</summary>
        public int MaxDischargeCurrent_mC;
    }
}
