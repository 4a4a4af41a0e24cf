using System;

namespace Bms.Firmware.Contactors
{
    /// <summary>Timing and thresholds of the contactor sequence. <see cref="CreateDefault"/> gives sound values.</summary>
    public sealed class ContactorConfiguration
    {
        /// <summary>Longest precharge before PrechargeFailure.</summary>
        public int PrechargeTimeout_ms;
        /// <summary>Link voltage, in per cent of the pack voltage, at which precharge is complete.</summary>
        public int PrechargeTargetPercent;
        /// <summary>Time the positive contactor carries current in parallel with the precharge relay before the relay opens.</summary>
        public int PositiveSettle_ms;
        /// <summary>Current magnitude below which the contactors may open without arcing damage.</summary>
        public int BreakCurrent_mA;
        /// <summary>Longest wait for the current to fall before opening anyway, when a fault opens the contactors.</summary>
        public int MaxOpeningWaitFault_ms;
        /// <summary>Longest wait for the current to fall before opening anyway, on a normal open request.</summary>
        public int MaxOpeningWaitRequest_ms;
        /// <summary>Delay between opening the positive and the negative contactor.</summary>
        public int NegativeOpenDelay_ms;
        /// <summary>Mechanical time after which a feedback contact must agree with its coil.</summary>
        public int FeedbackSettle_ms;
        /// <summary>Current magnitude that flowing with every contactor open means a weld.</summary>
        public int WeldCurrent_mA;
        /// <summary>How long that current must flow.</summary>
        public int WeldDetect_ms;
        /// <summary>Link voltage, in per cent of pack, still present <see cref="LinkDecay_ms"/> after opening means a weld; 0 = check off (no bleeder).</summary>
        public int WeldLinkPercent;
        /// <summary>Time the link capacitance needs to discharge through its bleeder after opening.</summary>
        public int LinkDecay_ms;

        /// <summary>
        /// Defaults scaled to the pack capacity (break limit 1C, weld current C/100, at least 100 mA; link-voltage
        /// weld check at 50 % of pack 10 s after opening, which assumes a bleeder on the link).
        /// </summary>
        public static ContactorConfiguration CreateDefault(int capacity_mAh)
        {
            if (capacity_mAh <= 0)
            {
                throw new ArgumentOutOfRangeException("capacity_mAh");
            }
            var c = new ContactorConfiguration();
            c.PrechargeTimeout_ms = 3000;
            c.PrechargeTargetPercent = 95;
            c.PositiveSettle_ms = 50;
            c.BreakCurrent_mA = capacity_mAh;
            c.MaxOpeningWaitFault_ms = 200;
            c.MaxOpeningWaitRequest_ms = 2000;
            c.NegativeOpenDelay_ms = 20;
            c.FeedbackSettle_ms = 100;
            c.WeldCurrent_mA = capacity_mAh / 100 > 100 ? capacity_mAh / 100 : 100;
            c.WeldDetect_ms = 500;
            // A bleeder brings the link below 60 V within seconds; half the pack voltage 10 s after opening means
            // a contactor still connects it. Set WeldLinkPercent = 0 for a link without a bleeder.
            c.WeldLinkPercent = 50;
            c.LinkDecay_ms = 10000;
            return c;
        }

        /// <summary>Null when usable, otherwise the reason.</summary>
        public string Validate()
        {
            if (PrechargeTimeout_ms < 100 || PrechargeTimeout_ms > 30000) return "PrechargeTimeout_ms must be 100..30000";
            if (PrechargeTargetPercent < 80 || PrechargeTargetPercent > 100) return "PrechargeTargetPercent must be 80..100";
            if (PositiveSettle_ms < 0 || PositiveSettle_ms > 1000) return "PositiveSettle_ms must be 0..1000";
            if (BreakCurrent_mA <= 0) return "BreakCurrent_mA must be positive";
            if (MaxOpeningWaitFault_ms < 0 || MaxOpeningWaitFault_ms > 1000) return "MaxOpeningWaitFault_ms must be 0..1000";
            if (MaxOpeningWaitRequest_ms < 0 || MaxOpeningWaitRequest_ms > 10000) return "MaxOpeningWaitRequest_ms must be 0..10000";
            if (NegativeOpenDelay_ms < 0 || NegativeOpenDelay_ms > 1000) return "NegativeOpenDelay_ms must be 0..1000";
            if (FeedbackSettle_ms < 10 || FeedbackSettle_ms > 2000) return "FeedbackSettle_ms must be 10..2000";
            if (WeldCurrent_mA <= 0) return "WeldCurrent_mA must be positive";
            if (WeldDetect_ms < 10 || WeldDetect_ms > 10000) return "WeldDetect_ms must be 10..10000";
            if (WeldLinkPercent < 0 || WeldLinkPercent > 100) return "WeldLinkPercent must be 0..100";
            if (LinkDecay_ms < 0 || LinkDecay_ms > 60000) return "LinkDecay_ms must be 0..60000";
            return null;
        }
    }
}
