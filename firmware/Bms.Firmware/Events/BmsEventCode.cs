namespace Bms.Firmware.Events
{
    /// <summary>
    /// Every condition the BMS reports. The names are a public contract: the replay harness writes them
    /// verbatim into its JSON summary and scenario expectation files refer to them. Values are stored in the
    /// fault log, so never renumber an existing code.
    /// </summary>
    public enum BmsEventCode
    {
        /// <summary>No event.</summary>
        None = 0,
        CellOverVoltage = 1,
        CellUnderVoltage = 2,
        OverCurrentCharge = 3,
        OverCurrentDischarge = 4,
        OverTemperatureCharge = 5,
        OverTemperatureDischarge = 6,
        UnderTemperatureCharge = 7,
        UnderTemperatureDischarge = 8,
        CellImbalance = 9,
        ThermalRunaway = 10,
        ThermalRunawayPrecursor = 11,
        InternalShort = 12,
        SensorFault = 13,
        OpenWire = 14,
        AfeCommunication = 15,
        PrechargeFailure = 16,
        ContactorWelded = 17,
    }
}
