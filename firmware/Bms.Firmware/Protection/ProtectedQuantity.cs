using Bms.Firmware.Events;

namespace Bms.Firmware.Protection
{
    /// <summary>The quantities guarded with three levels. Values index <see cref="ProtectionConfiguration.GetQuantity"/>.</summary>
    public enum ProtectedQuantity
    {
        /// <summary>Highest valid cell voltage against an upper limit.</summary>
        CellOverVoltage = 0,
        /// <summary>Lowest valid cell voltage against a lower limit.</summary>
        CellUnderVoltage = 1,
        /// <summary>Charge current (positive) against an upper limit.</summary>
        OverCurrentCharge = 2,
        /// <summary>Discharge current magnitude against an upper limit.</summary>
        OverCurrentDischarge = 3,
        /// <summary>Highest valid temperature while charging.</summary>
        OverTemperatureCharge = 4,
        /// <summary>Highest valid temperature while discharging or at rest.</summary>
        OverTemperatureDischarge = 5,
        /// <summary>Lowest valid temperature while charging.</summary>
        UnderTemperatureCharge = 6,
        /// <summary>Lowest valid temperature while discharging or at rest.</summary>
        UnderTemperatureDischarge = 7,
        /// <summary>Spread between highest and lowest valid cell voltage.</summary>
        CellImbalance = 8,
    }

    /// <summary>Maps quantities to their event codes (the public contract).</summary>
    public static class ProtectedQuantities
    {
        /// <summary>Number of <see cref="ProtectedQuantity"/> values.</summary>
        public const int Count = 9;

        /// <summary>The event code a quantity raises.</summary>
        public static BmsEventCode ToEventCode(ProtectedQuantity quantity)
        {
            switch (quantity)
            {
                case ProtectedQuantity.CellOverVoltage: return BmsEventCode.CellOverVoltage;
                case ProtectedQuantity.CellUnderVoltage: return BmsEventCode.CellUnderVoltage;
                case ProtectedQuantity.OverCurrentCharge: return BmsEventCode.OverCurrentCharge;
                case ProtectedQuantity.OverCurrentDischarge: return BmsEventCode.OverCurrentDischarge;
                case ProtectedQuantity.OverTemperatureCharge: return BmsEventCode.OverTemperatureCharge;
                case ProtectedQuantity.OverTemperatureDischarge: return BmsEventCode.OverTemperatureDischarge;
                case ProtectedQuantity.UnderTemperatureCharge: return BmsEventCode.UnderTemperatureCharge;
                case ProtectedQuantity.UnderTemperatureDischarge: return BmsEventCode.UnderTemperatureDischarge;
                default: return BmsEventCode.CellImbalance;
            }
        }
    }
}
