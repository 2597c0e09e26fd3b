; Edge Uploader - Windows installer (NSIS 3).
;
;   makensis -DSOURCE_DIR=dist\edge-app -DVERSION=0.1.0 [-DOUTFILE=dist\edge-app-setup.exe]
;            installer\windows\edge-app.nsi
;
; SOURCE_DIR is the one-folder bundle made by `python installer/build.py --skip-deb`
; (edge-app.exe for the command line and the scheduler, edge-app-gui.exe for the window).
; Installs to Program Files\Edge Uploader, adds a Start menu entry and an uninstaller, and can
; register the unattended shop-close sync (`edge-app.exe schedule install --at 22:00`), which the
; uninstaller removes again. The data folder (the encrypted queue) is never touched.

Unicode true

!ifndef SOURCE_DIR
  !error "Pass -DSOURCE_DIR=<folder of the PyInstaller bundle, dist\edge-app>"
!endif
!ifndef VERSION
  !error "Pass -DVERSION=<version, e.g. 0.1.0>"
!endif
!ifndef OUTFILE
  !define OUTFILE "edge-app-${VERSION}-setup.exe"
!endif
!ifndef SHOP_CLOSE
  !define SHOP_CLOSE "22:00"
!endif

!define APP_NAME "Edge Uploader"
!define CLI_EXE "edge-app.exe"
!define GUI_EXE "edge-app-gui.exe"
!define REG_KEY "Software\EdgeUploader"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\EdgeUploader"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

Name "${APP_NAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APP_NAME}"
InstallDirRegKey HKLM "${REG_KEY}" "InstallDir"
RequestExecutionLevel admin
SetCompressor /SOLID lzma
ShowInstDetails show
ShowUninstDetails show
BrandingText "${APP_NAME} ${VERSION}"

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Open ${APP_NAME}"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${APP_NAME} installer"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "Edge Uploader maintainers"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "${APP_NAME} needs 64-bit Windows."
    Abort
  ${EndIf}
  SetRegView 64
FunctionEnd

Function un.onInit
  SetRegView 64
FunctionEnd

Section "${APP_NAME} (required)" SecApp
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; An update replaces the program files; an old bundle's leftovers must not be loaded.
  RMDir /r "$INSTDIR\_internal"
  File /r "${SOURCE_DIR}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${APP_NAME}"
  CreateShortCut "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0
  CreateShortCut "$SMPROGRAMS\${APP_NAME}\Uninstall ${APP_NAME}.lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "${REG_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "Edge Uploader maintainers"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Sync unattended at shop close (${SHOP_CLOSE})" SecSchedule
  ; Registers a Task Scheduler task for the user running this installer; the task starts a few
  ; minutes after shop close (a fixed delay per PC) and runs late if the PC was off.
  DetailPrint "Registering the shop-close sync..."
  nsExec::ExecToLog '"$INSTDIR\${CLI_EXE}" schedule install --at ${SHOP_CLOSE} --system windows'
  Pop $0
  ${If} $0 != 0
    DetailPrint "The shop-close sync could not be registered (exit code $0)."
    DetailPrint "Register it later with: edge-app schedule install --at ${SHOP_CLOSE}"
  ${EndIf}
SectionEnd

LangString DESC_SecApp ${LANG_ENGLISH} "The program, a Start menu entry and the uninstaller."
LangString DESC_SecSchedule ${LANG_ENGLISH} "Upload whatever is still queued every day after shop close, without opening the window."
!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} $(DESC_SecApp)
  !insertmacro MUI_DESCRIPTION_TEXT ${SecSchedule} $(DESC_SecSchedule)
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Section "Uninstall"
  ${If} ${FileExists} "$INSTDIR\${CLI_EXE}"
    DetailPrint "Removing the shop-close sync..."
    nsExec::ExecToLog '"$INSTDIR\${CLI_EXE}" schedule remove --system windows'
    Pop $0
  ${EndIf}
  ; Only what the installer put there: never a recursive delete of $INSTDIR itself.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk"
  Delete "$SMPROGRAMS\${APP_NAME}\Uninstall ${APP_NAME}.lnk"
  RMDir "$SMPROGRAMS\${APP_NAME}"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  DeleteRegKey HKLM "${REG_KEY}"
  DetailPrint "The data folder (the encrypted queue and its logs) was kept."
SectionEnd
