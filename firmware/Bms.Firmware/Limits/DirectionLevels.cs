using Bms.Firmware.Events;
using Bms.Firmware.Protection;

namespace Bms.Firmware.Limits
{
    /// <summary>Which event codes restrict which current direction.</summary>
    public static class DirectionLevels
    {
        /// <summary>Codes that concern charging only.</summary>
        public static bool IsChargeOnly(BmsEventCode code)
        {
            return code == BmsEventCode.CellOverVoltage || code == BmsEventCode.OverCurrentCharge
                || code == BmsEventCode.OverTemperatureCharge || code == BmsEventCode.UnderTemperatureCharge;
        }

        /// <summary>Codes that concern discharging only.</summary>
        public static bool IsDischargeOnly(BmsEventCode code)
        {
            return code == BmsEventCode.CellUnderVoltage || code == BmsEventCode.OverCurrentDischarge
                || code == BmsEventCode.OverTemperatureDischarge || code == BmsEventCode.UnderTemperatureDischarge;
        }

        /// <summary>Highest level (latched faults included) of every code that restricts charging.</summary>
        public static ProtectionLevel Charge(ProtectionState state)
        {
            return Highest(state, true);
        }

        /// <summary>Highest level (latched faults included) of every code that restricts discharging.</summary>
        public static ProtectionLevel Discharge(ProtectionState state)
        {
            return Highest(state, false);
        }

        // Bit n set = code n concerns the other direction only; built from the predicates above at boot.
        private static readonly uint DischargeOnlyCodes = CodeMask(false);
        private static readonly uint ChargeOnlyCodes = CodeMask(true);

        private static uint CodeMask(bool chargeOnly)
        {
            uint mask = 0;
            for (int c = 1; c < 32; c++)
            {
                var code = (BmsEventCode)c;
                if (chargeOnly ? IsChargeOnly(code) : IsDischargeOnly(code))
                {
                    mask |= 1u << c;
                }
            }
            return mask;
        }

        private static ProtectionLevel Highest(ProtectionState state, bool charge)
        {
            if (state.FaultLatched)
            {
                return ProtectionLevel.Fault;
            }
            return state.GetHighestActiveLevel(charge ? DischargeOnlyCodes : ChargeOnlyCodes);
        }
    }
}
