using System;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Hal;

namespace Bms.Firmware.Contactors
{
    /// <summary>
    /// Main-contactor and precharge sequence, stepped by the 10 ms task.
    /// Open → Precharging (negative contactor + precharge relay until the link reaches the target share of the
    /// pack voltage, else PrechargeFailure; then positive contactor, then precharge relay off) → Closed →
    /// Opening (wait, bounded, for the current to fall below the break limit; positive off, then negative off)
    /// → Open, or Fault when a fault is latched. While a fault is latched no output can be switched on: the
    /// output stage itself refuses, whatever the state logic asks. With every coil off, a feedback contact that
    /// reads closed, current that keeps flowing, or a link voltage that stays up means ContactorWelded.
    /// A feedback contact that reads open while its coil is on is a mismatch: PrechargeFailure during the
    /// closing sequence, SensorFault (cell -1) once closed.
    /// </summary>
    public sealed class ContactorController
    {
        private const long Never = long.MinValue;

        private readonly ContactorConfiguration _config;
        private readonly IDigitalOutput _negative;
        private readonly IDigitalOutput _positive;
        private readonly IDigitalOutput _precharge;
        private readonly IDigitalInput _negativeFeedback;
        private readonly IDigitalInput _positiveFeedback;
        private readonly IBmsEventSink _sink;

        private ContactorState _state;
        // The state last written to each output (what IDigitalOutput.State reports; Drive is the only writer),
        // kept here so that the 10 ms step reads fields instead of calling through the interface.
        private bool _negativeOn;
        private bool _positiveOn;
        private bool _prechargeOn;
        private readonly bool _hasFeedback;
        // Closed with both main coils on, no feedback contact to read, no weld and no mismatch: while the vehicle
        // keeps its close request and no fault is latched, a step changes nothing. Set at the end of a full step.
        private bool _closedSteady;
        private bool _positiveClosing;
        private bool _openingForFault;
        private bool _positiveOpened;
        private long _stateSince_ms;
        private long _phaseSince_ms;

        private long _negativeCoilChanged_ms;
        private long _positiveCoilChanged_ms;
        private long _allOpenSince_ms = Never;

        private bool _prechargeFailureActive;
        private bool _mismatchActive;
        private bool _weldActive;
        private long _weldCurrentSince_ms = Never;
        private BmsEventCode _mismatchCode;
        private long _weldClearSince_ms = Never;

        /// <summary>
        /// Creates the controller. Feedback inputs may be null (no auxiliary contacts). All outputs are driven
        /// off at construction.
        /// </summary>
        public ContactorController(ContactorConfiguration config, IDigitalOutput negative, IDigitalOutput positive, IDigitalOutput precharge,
            IDigitalInput negativeFeedback, IDigitalInput positiveFeedback, IBmsEventSink sink)
        {
            if (config == null) throw new ArgumentNullException("config");
            if (negative == null) throw new ArgumentNullException("negative");
            if (positive == null) throw new ArgumentNullException("positive");
            if (precharge == null) throw new ArgumentNullException("precharge");
            if (sink == null) throw new ArgumentNullException("sink");
            string problem = config.Validate();
            if (problem != null)
            {
                throw new ArgumentException("contactor configuration refused: " + problem);
            }
            _config = config;
            _negative = negative;
            _positive = positive;
            _precharge = precharge;
            _negativeFeedback = negativeFeedback;
            _positiveFeedback = positiveFeedback;
            _sink = sink;
            _negative.Write(false);
            _positive.Write(false);
            _precharge.Write(false);
            _hasFeedback = negativeFeedback != null || positiveFeedback != null;
            _state = ContactorState.Open;
        }

        /// <summary>Current state.</summary>
        public ContactorState State { get { return _state; } }

        /// <summary>true while a welded contactor is detected.</summary>
        public bool WeldDetected { get { return _weldActive; } }

        /// <summary>true while a feedback contact disagrees with its energised coil.</summary>
        public bool FeedbackMismatch { get { return _mismatchActive; } }

        /// <summary>Number of times the main contactors were opened with the current above the break limit.</summary>
        public int OpenedAboveBreakCurrent { get; private set; }

        /// <summary>Time the present state was entered.</summary>
        public long StateSince_ms { get { return _stateSince_ms; } }

        /// <summary>
        /// One 10 ms step. <paramref name="closeRequested"/> is the vehicle's request; <paramref name="faultLatched"/>
        /// comes from the protection state. Reads current, stack and link voltage from the snapshot (valid values only).
        /// </summary>
        public void Step(long now_ms, bool closeRequested, bool faultLatched, MeasurementSnapshot snapshot)
        {
            if (_closedSteady && closeRequested && !faultLatched)
            {
                return;
            }
            if (!_negativeOn && !_positiveOn && !_prechargeOn && _allOpenSince_ms == Never)
            {
                _allOpenSince_ms = now_ms;
            }
            switch (_state)
            {
                case ContactorState.Open:
                    if (faultLatched)
                    {
                        Enter(ContactorState.Fault, now_ms);
                    }
                    else if (closeRequested && !_weldActive && snapshot.StackVoltageValid)
                    {
                        Enter(ContactorState.Precharging, now_ms);
                        _positiveClosing = false;
                        Drive(true, false, true, false, now_ms);
                    }
                    break;

                case ContactorState.Precharging:
                    if (faultLatched || !closeRequested || _prechargeFailureActive)
                    {
                        BeginOpening(faultLatched || _prechargeFailureActive, now_ms, snapshot);
                    }
                    else if (!_positiveClosing)
                    {
                        if (PrechargeComplete(snapshot))
                        {
                            _positiveClosing = true;
                            _phaseSince_ms = now_ms;
                            Drive(true, true, true, false, now_ms);
                        }
                        else if (now_ms - _stateSince_ms >= _config.PrechargeTimeout_ms)
                        {
                            RaisePrechargeFailure(now_ms);
                            BeginOpening(true, now_ms, snapshot);
                        }
                    }
                    else if (now_ms - _phaseSince_ms >= _config.PositiveSettle_ms)
                    {
                        Drive(true, true, false, false, now_ms);
                        Enter(ContactorState.Closed, now_ms);
                    }
                    break;

                case ContactorState.Closed:
                    if (faultLatched || !closeRequested)
                    {
                        BeginOpening(faultLatched, now_ms, snapshot);
                    }
                    break;

                case ContactorState.Opening:
                    StepOpening(now_ms, faultLatched, snapshot);
                    break;

                case ContactorState.Fault:
                    Drive(false, false, false, true, now_ms);
                    if (_prechargeFailureActive)
                    {
                        _prechargeFailureActive = false;
                        _sink.OnEvent(now_ms, BmsEventCode.PrechargeFailure, ProtectionLevel.Fault, -1, false);
                    }
                    break;
            }

            CheckFeedbackMismatch(now_ms);
            CheckWeld(now_ms, snapshot);
            _closedSteady = _state == ContactorState.Closed && _negativeOn && _positiveOn && !_prechargeOn
                && !_hasFeedback && !_weldActive && !_mismatchActive;
        }

        /// <summary>true when a latched fault may be reset as far as the contactors are concerned: all open, no weld.</summary>
        public bool SafeForReset
        {
            get
            {
                return (_state == ContactorState.Fault || _state == ContactorState.Open)
                    && !_negativeOn && !_positiveOn && !_prechargeOn && !_weldActive && !_mismatchActive;
            }
        }

        /// <summary>Leaves <see cref="ContactorState.Fault"/> for <see cref="ContactorState.Open"/> after the system reset its faults.</summary>
        public void ResetFault(long now_ms)
        {
            if (_state == ContactorState.Fault && SafeForReset)
            {
                Enter(ContactorState.Open, now_ms);
            }
        }

        private bool PrechargeComplete(MeasurementSnapshot snapshot)
        {
            if (!snapshot.LinkVoltageValid || !snapshot.StackVoltageValid || snapshot.StackVoltage_mV <= 0)
            {
                return false;
            }
            return (long)snapshot.LinkVoltage_mV * 100 >= (long)snapshot.StackVoltage_mV * _config.PrechargeTargetPercent;
        }

        private void BeginOpening(bool forFault, long now_ms, MeasurementSnapshot snapshot)
        {
            Enter(ContactorState.Opening, now_ms);
            _openingForFault = forFault;
            _positiveOpened = false;
            // The precharge relay never carries load current once the positive contactor is closed: open it now.
            Drive(_negativeOn, _positiveOn, false, forFault, now_ms);
            // Same tick: with the current already below the break limit the positive contactor opens at once.
            StepOpening(now_ms, forFault, snapshot);
        }

        private void StepOpening(long now_ms, bool faultLatched, MeasurementSnapshot snapshot)
        {
            if (faultLatched)
            {
                _openingForFault = true;
            }
            if (!_positiveOpened)
            {
                long waited = now_ms - _stateSince_ms;
                int maxWait = _openingForFault ? _config.MaxOpeningWaitFault_ms : _config.MaxOpeningWaitRequest_ms;
                int magnitude = snapshot.Current_mA < 0 ? -snapshot.Current_mA : snapshot.Current_mA;
                bool currentHigh = snapshot.CurrentValid && magnitude > _config.BreakCurrent_mA;
                bool mainClosed = _positiveOn;
                if (mainClosed && currentHigh && waited < maxWait)
                {
                    // Limits already request zero current; give the load a bounded time to ramp down.
                    return;
                }
                if (mainClosed && currentHigh)
                {
                    OpenedAboveBreakCurrent++;
                }
                Drive(_negativeOn, false, false, true, now_ms);
                _positiveOpened = true;
                _phaseSince_ms = now_ms;
                if (_config.NegativeOpenDelay_ms > 0)
                {
                    return;
                }
            }
            if (now_ms - _phaseSince_ms >= _config.NegativeOpenDelay_ms)
            {
                Drive(false, false, false, true, now_ms);
                Enter(_openingForFault || faultLatched ? ContactorState.Fault : ContactorState.Open, now_ms);
            }
        }

        private void Enter(ContactorState state, long now_ms)
        {
            _state = state;
            _stateSince_ms = now_ms;
            _closedSteady = false;
        }

        // The single place outputs are written. While a fault is latched an output may only be switched off.
        private void Drive(bool negative, bool positive, bool precharge, bool faultLatched, long now_ms)
        {
            if (faultLatched)
            {
                negative = negative && _negativeOn;
                positive = positive && _positiveOn;
                precharge = precharge && _prechargeOn;
            }
            if (_negativeOn != negative)
            {
                _negative.Write(negative);
                _negativeOn = negative;
                _negativeCoilChanged_ms = now_ms;
            }
            if (_positiveOn != positive)
            {
                _positive.Write(positive);
                _positiveOn = positive;
                _positiveCoilChanged_ms = now_ms;
            }
            if (_prechargeOn != precharge)
            {
                _precharge.Write(precharge);
                _prechargeOn = precharge;
            }
            bool allOpen = !negative && !positive && !precharge;
            if (allOpen && _allOpenSince_ms == Never)
            {
                _allOpenSince_ms = now_ms;
            }
            else if (!allOpen)
            {
                _allOpenSince_ms = Never;
            }
        }

        private void RaisePrechargeFailure(long now_ms)
        {
            if (!_prechargeFailureActive)
            {
                _prechargeFailureActive = true;
                _sink.OnEvent(now_ms, BmsEventCode.PrechargeFailure, ProtectionLevel.Fault, -1, true);
            }
        }

        private void CheckFeedbackMismatch(long now_ms)
        {
            if (!_hasFeedback && !_mismatchActive)
            {
                // Without feedback contacts there is nothing to disagree with.
                return;
            }
            bool mismatch = CoilOnFeedbackOpen(_negativeOn, _negativeFeedback, _negativeCoilChanged_ms, now_ms)
                || CoilOnFeedbackOpen(_positiveOn, _positiveFeedback, _positiveCoilChanged_ms, now_ms);
            if (mismatch)
            {
                if (!_mismatchActive)
                {
                    _mismatchActive = true;
                    if (_state == ContactorState.Precharging)
                    {
                        // A contactor that does not pull in makes this closing attempt a failed precharge.
                        _mismatchCode = BmsEventCode.PrechargeFailure;
                        RaisePrechargeFailure(now_ms);
                    }
                    else
                    {
                        _mismatchCode = BmsEventCode.SensorFault;
                        _sink.OnEvent(now_ms, BmsEventCode.SensorFault, ProtectionLevel.Fault, -1, true);
                    }
                }
            }
            else
            {
                if (_mismatchActive)
                {
                    _mismatchActive = false;
                    if (_mismatchCode == BmsEventCode.SensorFault)
                    {
                        _sink.OnEvent(now_ms, BmsEventCode.SensorFault, ProtectionLevel.Fault, -1, false);
                    }
                }
            }
        }

        private bool CoilOnFeedbackOpen(bool coilOn, IDigitalInput feedback, long coilChanged_ms, long now_ms)
        {
            return feedback != null && coilOn && now_ms - coilChanged_ms >= _config.FeedbackSettle_ms && !feedback.Read();
        }

        private bool CoilOffFeedbackClosed(bool coilOn, IDigitalInput feedback, long coilChanged_ms, long now_ms)
        {
            return feedback != null && !coilOn && now_ms - coilChanged_ms >= _config.FeedbackSettle_ms && feedback.Read();
        }

        private void CheckWeld(long now_ms, MeasurementSnapshot snapshot)
        {
            if (_negativeOn && _positiveOn && !_weldActive)
            {
                // Both main coils on (closed, or closing): no coil is off to be welded and the pack is not open.
                _weldCurrentSince_ms = Never;
                return;
            }
            bool feedbackWeld = CoilOffFeedbackClosed(_negativeOn, _negativeFeedback, _negativeCoilChanged_ms, now_ms)
                || CoilOffFeedbackClosed(_positiveOn, _positiveFeedback, _positiveCoilChanged_ms, now_ms);

            bool allOpen = _allOpenSince_ms != Never && now_ms - _allOpenSince_ms >= _config.FeedbackSettle_ms;
            int magnitude = snapshot.Current_mA < 0 ? -snapshot.Current_mA : snapshot.Current_mA;
            bool currentFlows = allOpen && snapshot.CurrentValid && magnitude > _config.WeldCurrent_mA;
            if (currentFlows)
            {
                if (_weldCurrentSince_ms == Never)
                {
                    _weldCurrentSince_ms = now_ms;
                }
            }
            else if (!allOpen || snapshot.CurrentValid)
            {
                _weldCurrentSince_ms = Never;
            }
            bool currentWeld = _weldCurrentSince_ms != Never && now_ms - _weldCurrentSince_ms >= _config.WeldDetect_ms;

            bool linkWeld = _config.WeldLinkPercent > 0 && _allOpenSince_ms != Never
                && now_ms - _allOpenSince_ms >= _config.LinkDecay_ms
                && snapshot.LinkVoltageValid && snapshot.StackVoltageValid && snapshot.StackVoltage_mV > 0
                && (long)snapshot.LinkVoltage_mV * 100 >= (long)snapshot.StackVoltage_mV * _config.WeldLinkPercent;

            bool weld = feedbackWeld || currentWeld || linkWeld;
            if (weld)
            {
                _weldClearSince_ms = Never;
                if (!_weldActive)
                {
                    _weldActive = true;
                    _sink.OnEvent(now_ms, BmsEventCode.ContactorWelded, ProtectionLevel.Fault, -1, true);
                }
            }
            else if (_weldActive)
            {
                // Clear only after the evidence has been gone for a full detection window.
                if (_weldClearSince_ms == Never)
                {
                    _weldClearSince_ms = now_ms;
                }
                if (now_ms - _weldClearSince_ms >= _config.WeldDetect_ms)
                {
                    _weldActive = false;
                    _weldClearSince_ms = Never;
                    _sink.OnEvent(now_ms, BmsEventCode.ContactorWelded, ProtectionLevel.Fault, -1, false);
                }
            }
        }
    }
}
